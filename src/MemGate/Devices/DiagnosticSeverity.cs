namespace MemGate.Devices;

/// <summary>Whether a problem in a device description stops it from loading.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Reported; the device still loads.</summary>
    Warning,

    /// <summary>The device does not load.</summary>
    Error,
}
