using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Peripherals;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate models [--json]</c>: the peripheral models a device file's <c>model</c> can name, with their settings.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("models", "List the peripheral models a device file's [[peripherals]] model can name: what each models, its register size, interrupt lines and settings.") { json };
        command.SetAction(parse => CommandErrors.Run("models", parse, error, () =>
        {
            var rows = PeripheralRegistry.Default.Models.OrderBy(m => m.Model, StringComparer.Ordinal)
                .Select(m => new ModelRow(m.Model, m.Description, m.Size, m.Irqs, m.IsInterruptController,
                    [.. m.Parameters.Select(p => new ModelSettingRow(p.Name, p.Description))])).ToList();
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Output.ListModelRow));
                return CliApp.Success;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Model").AddColumn("What it is").AddColumn(new TableColumn("Registers").RightAligned()).AddColumn(new TableColumn("IRQs").RightAligned()).AddColumn("Settings");
            foreach (var row in rows)
            {
                string settings = string.Join("\n", row.Settings.Select(s => $"{s.Name}: {s.Description}"));
                table.AddRow(Markup.Escape(row.Model), Markup.Escape(row.Description), ByteSize.Human(row.Size),
                    row.InterruptController ? "controller" : row.Irqs.ToString(CultureInfo.InvariantCulture), Markup.Escape(settings));
            }
            Terminal.For(output).Write(table);
            return CliApp.Success;
        }));
        return command;
    }
}
