using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Memory;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate allocate --region …</c>: backs the given regions with host memory and prints the guest → host table.</summary>
internal static class AllocateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var regions = new Option<string[]>("--region", "-r")
        {
            Description = $"A region as {RegionArgument.Syntax}; repeat for each region. PERMS letters r, w, x (default rw); KIND ram, flash, rom, mmio, storage.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var width = new Option<int>("--width")
        {
            Description = "Guest address width in bits (8-64). Up to 32 bits the space is one host reservation.",
            DefaultValueFactory = _ => 32,
        };
        var touch = new Option<bool>("--touch") { Description = "Write a byte to every page of every RAM region, to show resident memory growing." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };

        var command = new Command("allocate", "Allocate guest memory for the given regions and print the guest → host translation table.")
        {
            regions, width, touch, json,
        };
        command.SetAction(parse => CommandErrors.Run("allocate", parse, error, () =>
        {
            if (parse.GetValue(width) is var bits && bits is < 8 or > 64)
            {
                throw new CommandUsageException($"--width {bits}: give an address width from 8 to 64 bits.");
            }
            var specs = parse.GetRequiredValue(regions).Select(RegionArgument.Parse).ToList();
            using var memory = Create(specs, parse.GetValue(width));
            if (parse.GetValue(touch))
            {
                TouchRam(memory);
            }
            Print(memory, parse.GetValue(json), output);
            return CliApp.Success;
        }));
        return command;
    }

    private static GuestMemory Create(List<GuestRegion> regions, int width)
    {
        try
        {
            return GuestMemory.Create(regions, new GuestMemoryOptions { AddressWidth = width });
        }
        catch (ArgumentException e)
        {
            // Regions and width come straight from the command line, so the library's argument checks are the input's.
            throw new CommandInputException(OptionValue.UserMessage(e));
        }
    }

    private static void TouchRam(GuestMemory memory)
    {
        foreach (var region in memory.Regions.Where(r => r.Kind == RegionKind.Ram))
        {
            for (ulong offset = 0; offset < region.Size; offset += 4096)
            {
                memory.WriteByte(region.Start + offset, 0);
            }
        }
    }

    internal static TranslationReport Report(GuestMemory memory)
    {
        var rows = memory.Regions.Select(r => new TranslationRow(
            r.Name, r.Start.Value, r.Last.Value, r.Size, PermissionsText.ToLetters(r.Permissions), r.Kind.ToString().ToLowerInvariant(),
            r.HasHostMemory && memory.TryTranslate(r.Start, out nint host) ? (ulong)host : null)).ToList();
        return new TranslationReport(memory.AddressWidth, memory.IsFlat ? "flat" : "region-table", memory.ResidentBytes(), rows);
    }

    internal static void Print(GuestMemory memory, bool json, TextWriter output, Func<string, string>? kindOf = null)
    {
        var report = Report(memory);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.TranslationReport));
            return;
        }
        var rows = report.Regions;
        ulong resident = report.ResidentBytes;
        var console = Terminal.For(output);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Region").AddColumn("Guest start").AddColumn("Guest end").AddColumn(new TableColumn("Size").RightAligned())
            .AddColumn("Perms").AddColumn("Kind").AddColumn("Host address");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.Name),
                new GuestAddress(row.Start).ToString(),
                new GuestAddress(row.End).ToString(),
                ByteSize.Human(row.Size),
                PermissionsText.ToRwx(PermissionsText.Parse(row.Permissions)),
                Markup.Escape(kindOf?.Invoke(row.Name) ?? row.Kind),
                row.Host is { } h ? $"0x{h:x}" : "[grey](handler)[/]");
        }
        console.Write(table);
        ulong total = rows.Where(r => r.Host is not null).Aggregate(0UL, (sum, r) => sum + r.Size);
        console.WriteLine($"{memory.AddressWidth}-bit space, {(memory.IsFlat ? "one host reservation (host = base + guest)" : "region table")}; " +
            $"{ByteSize.Human(total)} backed, {ByteSize.Human(resident)} resident.");
    }
}
