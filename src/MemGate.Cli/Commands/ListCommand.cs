using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate list [--json]</c>: the built-in device templates.</summary>
internal static class ListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("list", "List the built-in device templates: architecture, flash, RAM and region count.") { json };
        command.SetAction(parse => CommandErrors.Run("list", parse, error, () =>
        {
            var rows = DeviceTemplates.Names.Select(DeviceTemplates.Load).Select(d => new TemplateRow(
                d.Name, d.Architecture, d.Cpu,
                d.TotalSize(DeviceRegionType.Flash),
                d.TotalSize(DeviceRegionType.Ram),
                d.Regions.Count)).ToList();
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Output.ListTemplateRow));
                return CliApp.Success;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Template").AddColumn("Architecture").AddColumn("CPU")
                .AddColumn(new TableColumn("Flash").RightAligned()).AddColumn(new TableColumn("RAM").RightAligned()).AddColumn(new TableColumn("Regions").RightAligned());
            foreach (var row in rows)
            {
                table.AddRow(row.Name, row.Architecture, row.Cpu, ByteSize.Human(row.FlashBytes), ByteSize.Human(row.RamBytes), row.Regions.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Terminal.For(output).Write(table);
            return CliApp.Success;
        }));
        return command;
    }
}
