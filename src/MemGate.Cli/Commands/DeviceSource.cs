using MemGate.Devices;
using MemGate.Devices.Config;

namespace MemGate.Cli.Commands;

/// <summary>Resolves a command's DEVICE argument: a device file when one exists at that path (or it has a config extension), else a template name.</summary>
internal static class DeviceSource
{
    /// <summary>Loads the device; warnings of a file go to <paramref name="error"/> (templates are known to be as the datasheet says).</summary>
    public static (DeviceDescription Device, string BaseDirectory) Load(string nameOrFile, TextWriter error)
    {
        bool looksLikeFile = File.Exists(nameOrFile) || Path.GetExtension(nameOrFile).ToLowerInvariant() is ".toml" or ".yaml" or ".yml" or ".json";
        if (looksLikeFile)
        {
            var device = DeviceConfigReader.Load(nameOrFile);
            CommandErrors.ReportWarnings(device, error);
            return (device, Path.GetDirectoryName(Path.GetFullPath(nameOrFile))!);
        }
        return (DeviceTemplates.Load(nameOrFile), Directory.GetCurrentDirectory());
    }
}
