using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Memory;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate show DEVICE [--json]</c>: a device's regions and peripherals.</summary>
internal static class ShowCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var device = new Argument<string>("device") { Description = "A template name (see 'memgate list') or a device file (.toml, .yaml, .json)." };
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"name\", \"regions\": [{\"name\", \"start\", \"size\", \"permissions\", \"type\", \"space\"}], …} with numbers as numbers." };
        var svd = new Option<string?>("--svd") { Description = "Merge the peripherals of this CMSIS-SVD file (the device's own [device] svd is used when absent) and warn where they fall outside the device's peripheral regions." };
        var strict = new Option<bool>("--strict") { Description = "With an SVD: flaws other tools tolerate (overlapping fields, odd register sizes, repeated names, registers past their address block) are errors, not warnings." };
        var command = new Command("show", "Show a device's address spaces, regions (start, end, size, permissions, type) and peripherals.") { device, json, svd, strict };
        command.SetAction(parse => CommandErrors.Run("show", parse, error, () =>
        {
            var (description, baseDirectory) = DeviceSource.Load(parse.GetRequiredValue(device), error);
            string? svdPath = parse.GetValue(svd) ?? (description.Svd is { } own ? Path.Combine(baseDirectory, own) : null);
            var svdDevice = svdPath is null ? null : Mmio.Svd.SvdReader.Load(svdPath, parse.GetValue(strict));
            // The SVD's register blocks and the device's [[rules]] against their registers, as validate and a run check them: a device
            // that cannot run is not shown as if it could.
            var machineModels = Emulation.FirmwareMachine.ArchitecturalPeripherals(description);
            var problems = (svdDevice is null ? [] : DeviceMemory.CheckSvdBlocks(description, svdDevice, machineModels)).Concat(DeviceMemory.CheckRules(description, svdDevice, machineModels)).ToList();
            if (problems.Count > 0)
            {
                throw new DeviceDescriptionException(parse.GetRequiredValue(device), problems);
            }
            if (svdDevice is not null)
            {
                CommandErrors.ReportWarnings(DeviceMemory.SvdWarnings(description, svdDevice, machineModels), error);
                description = WithSvd(description, svdDevice, machineModels);
            }
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(Report(description), CliJsonContext.Output.DeviceReport));
                return CliApp.Success;
            }
            Print(description, output);
            return CliApp.Success;
        }));
        return command;
    }

    // The device with the SVD's peripherals that a run attaches merged in (SvdWarnings names those left out, and why).
    private static DeviceDescription WithSvd(DeviceDescription d, Mmio.Svd.SvdDevice svd, IReadOnlyList<DevicePeripheral> machineModels)
    {
        var added = DeviceMemory.AttachedSvdPeripherals(d, svd, machineModels).Select(p => new DevicePeripheral(p.Name, p.BaseAddress, p.Size, d.Spaces[0].Name) { Model = $"svd: {svd.Name}" }).ToList();
        // The SVD is the more detailed source: it replaces the device's plain entries it overlaps.
        var replaced = added.SelectMany(a => d.AddressIndex.PeripheralsOverlapping(a.Base, a.Size, a.Space)).ToHashSet();
        var kept = d.Peripherals.Where(x => !replaced.Contains(x));
        return new DeviceDescription(d.Name, d.Regions, d.Spaces, kept.Concat(added).OrderBy(x => x.Base), d.Description, d.Architecture, d.Cpu,
            d.ByteOrder, d.PageSize, d.AllocateAtOnce, d.Boot, d.Symbols, d.Svd, d.Unmodelled, d.Rules);
    }

    internal static DeviceReport Report(DeviceDescription d) => new(
        d.Name, d.Description, d.Architecture, d.Cpu, d.ByteOrder == ByteOrder.BigEndian ? "big" : "little", d.PageSize,
        d.Spaces.Select(s => new SpaceRow(s.Name, s.AddressWidth)).ToList(),
        d.Regions.Select(r => new RegionRow(r.Name, r.Start, r.Size, r.Last, PermissionsText.ToLetters(r.Permissions),
            r.Type.ToString().ToLowerInvariant(), r.Space, r.AliasOf, r.InitFile)).ToList(),
        d.Peripherals.Select(p => new PeripheralRow(p.Name, p.Base, p.Size, p.Space, p.Model)).ToList());

    private static void Print(DeviceDescription d, TextWriter output)
    {
        var console = Terminal.For(output);
        string cpu = string.Join(" / ", new[] { d.Architecture, d.Cpu }.Where(t => t.Length > 0)) is { Length: > 0 } named ? $"{named}, " : "";
        console.MarkupLine($"[bold]{Markup.Escape(d.Name)}[/]  {Markup.Escape(cpu)}{(d.ByteOrder == ByteOrder.BigEndian ? "big" : "little")} endian, page size {ByteSize.Human(d.PageSize)}");
        if (d.Description.Length > 0)
        {
            console.WriteLine(d.Description);
        }
        bool manySpaces = d.Spaces.Count > 1;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Region").AddColumn("Start").AddColumn("End")
            .AddColumn(new TableColumn("Size").RightAligned()).AddColumn("Perms").AddColumn("Type");
        if (manySpaces)
        {
            table.AddColumn("Space");
        }
        foreach (var r in d.Regions.OrderBy(r => d.Spaces.Select(x => x.Name).ToList().IndexOf(r.Space)).ThenBy(r => r.Start))   // in address order, whatever the file's
        {
            int width = d.FindSpace(r.Space)?.AddressWidth ?? 32;
            var cells = new List<string>
            {
                Markup.Escape(r.Name), DeviceAddressSpace.FormatAddress(r.Start, width), DeviceAddressSpace.FormatAddress(r.Last, width), ByteSize.Exact(r.Size), PermissionsText.ToRwx(r.Permissions),
                Markup.Escape(r.Type == DeviceRegionType.Alias ? $"alias of {r.AliasOf}{(r.AliasMode == AliasMode.BitBand ? " (bit-band)" : "")}" : r.Type.ToString().ToLowerInvariant()),
            };
            if (manySpaces)
            {
                cells.Add(Markup.Escape(r.Space));
            }
            table.AddRow([.. cells]);
        }
        console.Write(table);
        if (d.Peripherals.Count > 0)
        {
            var peripherals = new Table().Border(TableBorder.Rounded).AddColumn("Peripheral").AddColumn("Base").AddColumn(new TableColumn("Size").RightAligned()).AddColumn("Model");
            foreach (var p in d.Peripherals.OrderBy(p => p.Base))
            {
                peripherals.AddRow(Markup.Escape(p.Name), DeviceAddressSpace.FormatAddress(p.Base, d.FindSpace(p.Space)?.AddressWidth ?? 32), ByteSize.Exact(p.Size), Markup.Escape(p.Model ?? "plain registers"));
            }
            console.Write(peripherals);
        }
    }
}
