using System.CommandLine;
using MemGate.Devices;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate map DEVICE [--svg OUT] [--text]</c>: a picture of the memory map.</summary>
internal static class MapCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var device = new Argument<string>("device") { Description = "A template name or a device file." };
        var svg = new Option<string?>("--svg") { Description = "Write an SVG picture to this file." };
        var text = new Option<bool>("--text") { Description = "Print the map as text (the default when --svg is not given)." };
        var command = new Command("map", "Draw a device's memory map: one column per address space, log-scaled sizes, gaps marked; SVG or text.") { device, svg, text };
        command.SetAction(parse => CommandErrors.Run("map", parse, error, () =>
        {
            var (description, _) = DeviceSource.Load(parse.GetRequiredValue(device), error);
            string? path = parse.GetValue(svg);
            if (path is not null)
            {
                OutputFile.WriteAllText(path, DeviceMapPicture.ToSvg(description));
                output.WriteLine($"Wrote the memory map of {description.Name} to {path}");
            }
            if (path is null || parse.GetValue(text))
            {
                output.Write(DeviceMapPicture.ToText(description));
            }
            return CliApp.Success;
        }));
        return command;
    }
}
