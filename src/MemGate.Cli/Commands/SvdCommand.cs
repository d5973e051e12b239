using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Mmio;
using MemGate.Mmio.Svd;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate svd FILE [--json]</c>: the peripherals, registers and fields of a CMSIS-SVD file.</summary>
internal static class SvdCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "A CMSIS-SVD file." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a tree." };
        var peripheral = new Option<string?>("--peripheral", "-p") { Description = "Only this peripheral." };
        var strict = new Option<bool>("--strict") { Description = "Flaws other tools tolerate (overlapping fields, odd register sizes, repeated names, registers past their address block), and peripherals whose registers overlap, are errors, not warnings." };
        var command = new Command("svd", "List the peripherals, registers and fields of a CMSIS-SVD file (derived peripherals, arrays and clusters expanded).")
        {
            file, json, peripheral, strict,
        };
        command.SetAction(parse => CommandErrors.Run("svd", parse, error, () =>
        {
            var device = SvdReader.Load(parse.GetRequiredValue(file), parse.GetValue(strict));
            // Registers that cannot make a register block (overlapping, none an alternate) are fine to list, but a device
            // that attaches the peripheral cannot be built: said here rather than first by validate or a run.
            var unbuildable = device.Peripherals.Select(p => (Peripheral: p, Problem: p.BlockProblem() is { } why ? $"{why}; a device that attaches it cannot be built" : null))
                .Where(x => x.Problem is not null)
                .Concat(PlacementProblems(device))
                .Select(x => new DeviceDiagnostic(parse.GetValue(strict) ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, $"peripheral[{x.Peripheral.Name}]",
                    x.Problem!) { Location = new SourceLocation(device.File, x.Peripheral.Line, 0) })
                .ToList();
            if (parse.GetValue(strict) && unbuildable.Count > 0)
            {
                throw new DeviceDescriptionException(device.File, unbuildable);   // one error line each, or the JSON failure line
            }
            CommandErrors.ReportWarnings([.. device.Warnings.Select(DeviceDiagnostic.Of), .. unbuildable], error);
            var peripherals = device.Peripherals.Where(p => parse.GetValue(peripheral) is not { } only || string.Equals(p.Name, only, StringComparison.OrdinalIgnoreCase)).ToList();
            if (parse.GetValue(peripheral) is { } wanted && peripherals.Count == 0)
            {
                throw new CommandInputException($"'{wanted}' is not a peripheral of {device.Name} (peripherals: {string.Join(", ", device.Peripherals.Select(p => p.Name))}).");
            }
            if (parse.GetValue(json))
            {
                var report = new SvdReport(device.Name, peripherals.Select(p => new SvdPeripheralRow(p.Name, p.BaseAddress, p.Size, p.Description,
                    p.Interrupts.Select(i => new SvdInterruptRow(i.Name, i.Value, i.Description)).ToList(),
                    p.Registers.Select(r => new SvdRegisterRow(r.Name, r.Offset, r.SizeBits, r.InitialValue, Access(r.Access), r.AlternateOf,
                        r.Fields.Select(f => new SvdFieldRow(f.Name, f.BitOffset, f.BitWidth, Access(f.Access), Write(f.WriteAction), Read(f.ReadAction))).ToList())).ToList())).ToList());
                output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.SvdReport));
                return CliApp.Success;
            }
            var console = Terminal.For(output);
            var tree = new Tree($"[bold]{Markup.Escape(device.Name)}[/] ({device.Peripherals.Count} peripherals)");
            foreach (var p in peripherals)
            {
                string interrupts = p.Interrupts.Count == 0 ? "" : $", IRQ {string.Join(", ", p.Interrupts.Select(i => $"{i.Value} ({i.Name})"))}";
                var node = tree.AddNode($"[bold]{Markup.Escape(p.Name)}[/] 0x{p.BaseAddress:X8} ({ByteSize.Human(p.Size)}{Markup.Escape(interrupts)}){(p.DerivedFrom is null ? "" : $" derived from {Markup.Escape(p.DerivedFrom)}")}");
                foreach (var r in p.Registers)
                {
                    var registerNode = node.AddNode($"{Markup.Escape(r.Name)} +0x{r.Offset:X} {r.SizeBits}-bit reset 0x{r.InitialValue:X} {Access(r.Access)}{(r.AlternateOf is null ? "" : $" (alternate of {Markup.Escape(r.AlternateOf)})")}");
                    foreach (var f in r.Fields)
                    {
                        string bits = f.BitWidth == 1 ? $"[{f.BitOffset}]" : $"[{f.BitOffset + f.BitWidth - 1}:{f.BitOffset}]";
                        string behaviour = string.Join(' ', new[] { Access(f.Access), f.WriteAction == WriteAction.Modify ? "" : Write(f.WriteAction), f.ReadAction == ReadAction.None ? "" : "read:" + Read(f.ReadAction) }.Where(x => x.Length > 0));
                        registerNode.AddNode(Markup.Escape($"{f.Name} {bits} {behaviour}"));
                    }
                }
            }
            console.Write(tree);
            return CliApp.Success;
        }));
        return command;
    }

    // Where peripherals lie, as a device attaching them would find it (arrays with dimIncrement 0, an address past 4 GiB):
    // each one sharing addresses with the one before it in address order, and each ending past the 32-bit address space.
    // Judged as a device judges them, by registers: address blocks reaching into the next peripheral are trimmed first
    // (ST's STM32F103 SVD has BKP's block run into PWR), which the warnings above already say.
    private static IEnumerable<(SvdPeripheral Peripheral, string? Problem)> PlacementProblems(SvdDevice device)
    {
        var ordered = device.WithBlocksTrimmedToRegisters(new List<SvdWarning>()).Where(p => p.Size > 0).OrderBy(p => p.BaseAddress).ToList();
        for (int i = 0; i < ordered.Count; i++)
        {
            var p = ordered[i];
            if (p.BaseAddress + p.Size > 1UL << 32)
            {
                yield return (p, $"[0x{p.BaseAddress:X}, size 0x{p.Size:X}] ends past the 32-bit address space of the Cortex-M parts CMSIS-SVD describes");
            }
            if (i > 0 && ordered[i - 1] is var before && p.BaseAddress < before.BaseAddress + before.Size)
            {
                yield return (p, $"[0x{p.BaseAddress:X}, size 0x{p.Size:X}] shares addresses with {before.Name} [0x{before.BaseAddress:X}, size 0x{before.Size:X}]; a device cannot attach both");
            }
        }
    }

    private static string Access(FieldAccess access) => access switch
    {
        FieldAccess.ReadOnly => "ro",
        FieldAccess.WriteOnly => "wo",
        FieldAccess.WriteOnce => "wo-once",
        FieldAccess.ReadWriteOnce => "rw-once",
        _ => "rw",
    };

    private static string Write(WriteAction action) => action switch
    {
        WriteAction.OneToClear => "w1c",
        WriteAction.OneToSet => "w1s",
        WriteAction.OneToToggle => "w1t",
        WriteAction.ZeroToClear => "w0c",
        WriteAction.ZeroToSet => "w0s",
        WriteAction.ZeroToToggle => "w0t",
        WriteAction.Clear => "wclr",
        WriteAction.Set => "wset",
        _ => "modify",
    };

    private static string Read(ReadAction action) => action switch
    {
        ReadAction.Clear => "clear",
        ReadAction.Set => "set",
        _ => "none",
    };
}
