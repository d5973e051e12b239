using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Peripherals;

namespace MemGate.Cli.Commands;

/// <summary>Resolves a command's DEVICE argument: a device file when one exists at that path (or it has a config extension), else a template name.</summary>
internal static class DeviceSource
{
    /// <summary>Loads the device; warnings of a file go to <paramref name="error"/> (templates are known to be as the datasheet says).</summary>
    public static (DeviceDescription Device, string BaseDirectory) Load(string nameOrFile, TextWriter error)
    {
        if (NamesFile(nameOrFile))
        {
            if (!File.Exists(nameOrFile) && !Directory.Exists(nameOrFile))
            {
                // A typo in a file name: suggest the nearest device file beside it.
                string directory = Path.GetDirectoryName(Path.GetFullPath(nameOrFile))!;
                var files = Directory.Exists(directory)
                    ? Directory.EnumerateFiles(directory).Where(HasDeviceExtension).Select(Path.GetFileName).OfType<string>()
                    : [];
                throw new FileNotFoundException($"Device file '{nameOrFile}' does not exist.{NameSuggestion.DidYouMean(Path.GetFileName(nameOrFile), files)}", nameOrFile);
            }
            var device = DeviceConfigReader.Load(nameOrFile);
            // Models, their settings and irq lines, as validate and a run check them: every command refuses the same files.
            if (PeripheralRegistry.Default.Check(device).Where(d => d.Severity == DiagnosticSeverity.Error).ToList() is { Count: > 0 } problems)
            {
                throw new DeviceDescriptionException(nameOrFile, problems);
            }
            CommandErrors.ReportWarnings(device, error);
            return (device, Path.GetDirectoryName(Path.GetFullPath(nameOrFile))!);
        }
        if (Directory.Exists(nameOrFile) && !DeviceTemplates.Names.Contains(nameOrFile, StringComparer.OrdinalIgnoreCase))
        {
            throw new CommandInputException($"Device '{nameOrFile}' is a folder: give a device file (.toml, .yaml, .yml or .json) or a template name (memgate list).");
        }
        return (DeviceTemplates.Load(nameOrFile), Directory.GetCurrentDirectory());
    }

    /// <summary>
    /// Every file the device is read from or loads: its device file (or imported configuration and includes), region
    /// contents and SVD file (named from <paramref name="baseDirectory"/>). Outputs must not replace them.
    /// </summary>
    public static IEnumerable<string> InputFiles(DeviceDescription device, string? baseDirectory) =>
        device.SourceFiles.Concat(device.Regions.Select(r => r.InitFile).Append(device.Svd).OfType<string>().Select(f => Path.Combine(baseDirectory ?? ".", f)));

    /// <summary>Whether a DEVICE argument names a device file (one exists there, or it has a device file's extension) rather than a template.</summary>
    internal static bool NamesFile(string nameOrFile) => File.Exists(nameOrFile) || HasDeviceExtension(nameOrFile);

    /// <summary>Whether <paramref name="path"/> ends in an extension device files are read by.</summary>
    internal static bool HasDeviceExtension(string path) => Path.GetExtension(path).ToLowerInvariant() is ".toml" or ".yaml" or ".yml" or ".json";
}
