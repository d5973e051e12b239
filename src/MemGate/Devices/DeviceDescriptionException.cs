namespace MemGate.Devices;

/// <summary>A device description or config file has errors; <see cref="Diagnostics"/> lists every one (and the warnings).</summary>
public sealed class DeviceDescriptionException : MemGateException
{
    /// <summary>Creates the exception from the problems found.</summary>
    public DeviceDescriptionException(string subject, IReadOnlyList<DeviceDiagnostic> diagnostics)
        : base(Format(subject, diagnostics))
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Every problem found, errors and warnings.</summary>
    public IReadOnlyList<DeviceDiagnostic> Diagnostics { get; }

    private static string Format(string subject, IReadOnlyList<DeviceDiagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return $"{subject}: {errors.Count} error(s)" + Environment.NewLine + string.Join(Environment.NewLine, errors);
    }
}
