using System.CommandLine;
using MemGate.Devices.Config;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate convert DEVICE --to toml|yaml|json [-o OUT]</c>: writes a device in another format.</summary>
internal static class ConvertCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var device = new Argument<string>("device") { Description = "A device file or a template name." };
        var to = new Option<string>("--to") { Description = "Output format: toml, yaml or json.", Required = true };
        to.AcceptOnlyFromAmong("toml", "yaml", "json");
        var outFile = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("convert", "Convert a device description between TOML, YAML and JSON (same schema; nothing is lost).") { device, to, outFile };
        command.SetAction(parse => CommandErrors.Run("convert", parse, error, () =>
        {
            var format = parse.GetRequiredValue(to) switch
            {
                "toml" => DeviceConfigFormat.Toml,
                "yaml" => DeviceConfigFormat.Yaml,
                _ => DeviceConfigFormat.Json,
            };
            string? path = parse.GetValue(outFile);
            // A device file is read by its extension: one that says another format would not load again.
            if (path is not null && DeviceSource.HasDeviceExtension(path) && DeviceConfigReader.FormatOf(path) is var named && named != format)
            {
                throw new CommandUsageException($"--output {path}: its extension says {named.ToString().ToUpperInvariant()}, --to says {format.ToString().ToUpperInvariant()}; device files are read by their extension.");
            }
            var (description, baseDirectory) = DeviceSource.Load(parse.GetRequiredValue(device), error);
            OutputPaths.Check([("--output", path)], DeviceSource.InputFiles(description, baseDirectory));
            // Region and SVD files stay found from the new file's folder (on standard output, wherever it is saved).
            description = description.WithFilesFor(path, baseDirectory);
            string text = DeviceConfigWriter.Write(description, format);
            if (path is not null)
            {
                OutputFile.WriteAllText(path, text);
                output.WriteLine($"Wrote {description.Name} as {format.ToString().ToUpperInvariant()} to {path}");
            }
            else
            {
                output.Write(text);
            }
            return CliApp.Success;
        }));
        return command;
    }
}
