using System.CommandLine;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Devices.Import;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate import fuzzware|halucinator FILE [-o OUT]</c>: converts another tool's memory configuration into a MemGate device file.</summary>
internal static class ImportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var kind = new Argument<string>("tool") { Description = "The tool the file comes from: fuzzware (config.yml) or halucinator (memory YAML)." };
        kind.AcceptOnlyFromAmong("fuzzware", "halucinator");
        var file = new Argument<string>("file") { Description = "The configuration file." };
        var outFile = new Option<string?>("--output", "-o") { Description = "Write the device here (format from the extension; its files named relative to it); TOML on standard output otherwise (files named by full path)." };
        var command = new Command("import", "Import a Fuzzware config.yml or a HALucinator memory file as a MemGate device.") { kind, file, outFile };
        command.SetAction(parse => CommandErrors.Run("import", parse, error, () =>
        {
            string path = parse.GetRequiredValue(file);
            if (parse.GetValue(outFile) is { } named && !DeviceSource.HasDeviceExtension(named))
            {
                throw new CommandUsageException($"--output {named}: the format comes from the name's extension: .toml, .yaml, .yml or .json.");
            }
            DeviceDescription device = parse.GetRequiredValue(kind) == "fuzzware" ? FuzzwareImporter.Import(path) : HalucinatorImporter.Import(path);
            CommandErrors.ReportWarnings(device, error);
            // Contents files are found from where the device file goes; on standard output, wherever it is saved, by full paths.
            string here = Directory.GetCurrentDirectory();
            string? destination = parse.GetValue(outFile);
            OutputPaths.Check([("--output", destination)], DeviceSource.InputFiles(device, Path.GetDirectoryName(Path.GetFullPath(path))));
            device = device.WithFilesFor(destination, here);
            if (destination is { } target)
            {
                DeviceConfigWriter.Save(device, target);
                output.WriteLine($"Imported {device.Regions.Count} regions from {path} into {target}");
            }
            else
            {
                output.Write(DeviceConfigWriter.Write(device, DeviceConfigFormat.Toml));
            }
            return CliApp.Success;
        }));
        return command;
    }
}
