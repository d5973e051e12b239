using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Firmware;
using MemGate.Memory;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate image FILE [--address A] [--device D] [--json]</c>: a firmware image's segments, entry point and symbols; with a device, whether it fits.</summary>
internal static class ImageCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "An ELF, Intel HEX, S-record or raw binary image." };
        var address = new Option<string?>("--address") { Description = "Load address of a raw binary (hex or decimal)." };
        var device = new Option<string?>("--device") { Description = "Load the image into this template or device file, to check that every segment fits." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("image", "Show a firmware image's segments, entry point and symbols; --device loads it to check it fits.") { file, address, device, json };
        command.SetAction(parse => CommandErrors.Run("image", parse, error, () =>
        {
            ulong? raw = parse.GetValue(address) is { } text ? OptionValue.Address("--address", text) : null;
            var image = FirmwareReader.Load(parse.GetRequiredValue(file), rawAddress: raw);
            string? fits = null;
            if (parse.GetValue(device) is { } deviceName)
            {
                var (description, baseDirectory) = DeviceSource.Load(deviceName, error);
                image.CheckRunsOn(description);   // a CPU mismatch says more than where a segment does not fit
                using var memory = DeviceMemory.Allocate(description, baseDirectory);
                image.LoadInto(memory);
                fits = description.Name;
            }
            if (parse.GetValue(json))
            {
                var report = new ImageReport(image.File, image.Format.ToString(), image.EntryPoint, image.Size,
                    image.Segments.Select(s => new SegmentRow(s.Address, (ulong)s.Data.LongLength, s.Origin)).ToList(),
                    image.Symbols.Select(s => new SymbolRow(s.Name, s.Address, s.Size, s.IsFunction)).ToList(), fits);
                output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.ImageReport));
                return CliApp.Success;
            }
            var console = Terminal.For(output);
            output.WriteLine($"{image.File}: {image.Format}, {ByteSize.Human(image.Size)} in {image.Segments.Count} segment(s), entry {(image.EntryPoint is { } e ? $"0x{e:X8}" : "not given")}, {image.Symbols.Count} symbols");
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Start").AddColumn("End").AddColumn(new TableColumn("Size").RightAligned()).AddColumn("From");
            foreach (var s in image.Segments)
            {
                table.AddRow($"0x{s.Address:X8}", $"0x{s.End - 1:X8}", ByteSize.Human((ulong)s.Data.LongLength), Markup.Escape(s.Origin));
            }
            console.Write(table);
            if (image.Symbols.Count > 0)
            {
                // By address, as a map file lists them; a large image's are many: the first ones here, all of them in --json.
                const int shown = 40;
                var symbols = new Table().Border(TableBorder.Rounded).AddColumn("Symbol").AddColumn("Address").AddColumn(new TableColumn("Size").RightAligned()).AddColumn("Kind");
                foreach (var symbol in image.Symbols.OrderBy(s => s.Address).ThenBy(s => s.Name, StringComparer.Ordinal).Take(shown))
                {
                    symbols.AddRow(Markup.Escape(symbol.Name), $"0x{symbol.Address:X8}", symbol.Size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), symbol.IsFunction ? "function" : "object");
                }
                console.Write(symbols);
                if (image.Symbols.Count > shown)
                {
                    output.WriteLine($"… and {image.Symbols.Count - shown:N0} more (--json lists them all).");
                }
            }
            if (fits is not null)
            {
                output.WriteLine($"Fits {fits}: every segment lies in its memory regions.");
            }
            return CliApp.Success;
        }));
        return command;
    }
}
