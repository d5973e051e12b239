namespace MemGate.Firmware;

/// <summary>An image is built for a CPU the device does not have; the message names the image's machine and the device's.</summary>
public sealed class FirmwareCompatibilityException : MemGateException
{
    /// <summary>Creates the exception.</summary>
    public FirmwareCompatibilityException(string file, string device, string message)
        : base(message)
    {
        File = file;
        Device = device;
    }

    /// <summary>The image file.</summary>
    public string File { get; }

    /// <summary>The device's name.</summary>
    public string Device { get; }
}
