using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Mmio;

namespace MemGate.Tests.Emulation;

/// <summary>[[interrupt_triggers]]: interrupts the machine raises on its own, with Fuzzware's choices and skip/pend rules.</summary>
public sealed class InterruptTriggerTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", name);

    // The board with its trigger replaced by `triggers` (TOML).
    private static (string Output, RunResult Result, MmioInput? Input) Run(string triggers, byte[]? input = null)
    {
        string board = File.ReadAllText(Fixture("trigger-board.toml"));
        board = board[..(board.IndexOf("\n[[interrupt_triggers]]", StringComparison.Ordinal) + 1)] + triggers;
        var mmio = input is null ? null : new MmioInput(input);
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(board, DeviceConfigFormat.Toml, "trigger-board.toml"), output,
            new FirmwareMachineOptions { MmioInput = mmio });
        machine.Load(FirmwareReader.Load(Fixture("triggers.elf")));
        var result = machine.Run(maxInstructions: 200_000);
        return (output.ToString(), result, mmio);
    }

    [Fact]
    public void Round_robin_pends_the_enabled_interrupts_in_turn()
    {
        var (output, result, _) = Run("[[interrupt_triggers]]\nname = \"tick\"\nevery = 500\nmode = \"round-robin\"\n");
        Assert.Equal(("357357\n", 6), (output, result.ExitCode));
    }

    [Fact]
    public void A_trigger_on_the_block_clock_counts_basic_blocks_as_fuzzware_ticks_do()
    {
        var (_, byInstructions, _) = Run("[[interrupt_triggers]]\nname = \"tick\"\nevery = 500\nmode = \"round-robin\"\n");
        var (output, byBlocks, _) = Run("[[interrupt_triggers]]\nname = \"tick\"\nevery = 500\nclock = \"blocks\"\nmode = \"round-robin\"\n");
        Assert.Equal(("357357\n", 6), (output, byBlocks.ExitCode));
        // The wait loop's block runs several instructions: 500 blocks take several times 500 instructions.
        Assert.InRange(byBlocks.Instructions, 2 * byInstructions.Instructions, 10 * byInstructions.Instructions);
    }

    [Fact]
    public void A_fixed_irq_is_pended_every_period()
    {
        var (output, result, _) = Run("[[interrupt_triggers]]\nname = \"five\"\nevery = 700\nirq = 5\n");
        Assert.Equal(("555555\n", 6), (output, result.ExitCode));
    }

    [Fact]
    public void Fuzzed_mode_takes_one_input_byte_per_choice_among_the_enabled()
    {
        var (output, result, input) = Run("[[interrupt_triggers]]\nname = \"pick\"\nevery = 500\nmode = \"fuzzed\"\n", [2, 2, 0, 1, 4, 3]);
        Assert.Equal(("773553\n", 6), (output, result.ExitCode));   // byte % 3 indexes [3, 5, 7]
        Assert.Equal(6, input!.Consumed);
    }

    [Fact]
    public void A_fuzzed_interval_takes_one_byte_per_firing_for_the_next_interval()
    {
        // A fixed interrupt, so the only byte each firing takes is the interval's: byte 0 picks 1000 instructions, 7 picks 2000.
        var (output, fast, input) = Run("[[interrupt_triggers]]\nname = \"when\"\nevery = \"fuzzed\"\nirq = 5\n", new byte[6]);
        Assert.Equal(("555555\n", 6, 6), (output, fast.ExitCode, input!.Consumed));
        var (_, slow, _) = Run("[[interrupt_triggers]]\nname = \"when\"\nevery = \"fuzzed\"\nirq = 5\n", [7, 7, 7, 7, 7, 7]);
        Assert.Equal(6, slow.ExitCode);
        // The first interval is 1000 either way; the five after it are 1000 instructions longer each.
        Assert.InRange((long)slow.Instructions - (long)fast.Instructions, 4500, 5500);
    }

    [Fact]
    public void A_trigger_that_finds_the_input_empty_ends_the_run_saying_so()
    {
        var (_, result, input) = Run("[[interrupt_triggers]]\nname = \"pick\"\nevery = 500\nmode = \"fuzzed\"\n", [2]);
        Assert.Equal(RunOutcome.InputExhausted, result.Outcome);
        Assert.Equal("input exhausted: interrupt trigger 'pick' needed 1 byte to pick an interrupt after 1 input bytes", result.Reason);
        Assert.Equal(1, input!.Consumed);
    }

    [Fact]
    public void A_location_trigger_pends_at_its_address_and_then_skips_as_fuzzware_does()
    {
        ulong marker = FirmwareReader.Load(Fixture("triggers.elf")).Symbols.Single(s => s.Name == "marker").Address & ~1UL;
        var (output, result, _) = Run($"[[interrupt_triggers]]\nname = \"tick\"\nevery = 500\nirq = 3\n\n[[interrupt_triggers]]\nname = \"at-marker\"\nat = \"0x{marker:X}\"\nirq = 7\n");
        // Six from the tick; marker() twice: the first pends 7, the second is skipped (one skip after each pend).
        Assert.Equal(("3333337\n", 7), (output, result.ExitCode));
    }

    [Fact]
    public void A_trigger_pends_an_interrupt_whose_handler_is_running_and_the_handler_runs_again_as_in_fuzzware()
    {
        // A trigger at IRQ 5's handler pends IRQ 5 every other time the handler starts (one skip after each pend): Fuzzware
        // pends it although it is active, so each tick's IRQ 5 runs the handler twice, and six runs take three ticks, not six.
        ulong handler = FirmwareReader.Load(Fixture("triggers.elf")).Symbols.Single(s => s.Name == "Irq5_Handler").Address & ~1UL;
        var (output, result, _) = Run($"[[interrupt_triggers]]\nname = \"tick\"\nevery = 5000\nirq = 5\n\n[[interrupt_triggers]]\nname = \"again\"\nat = \"0x{handler:X}\"\nirq = 5\n");
        Assert.Equal(("555555\n", 6), (output, result.ExitCode));
        Assert.InRange(result.Instructions, 15_000UL, 20_000UL);
    }

    [Fact]
    public void Triggers_survive_conversion_and_give_located_errors()
    {
        string text = File.ReadAllText(Fixture("trigger-board.toml")) + "\n[[interrupt_triggers]]\nname = \"at\"\nat = \"main\"\nmode = \"fuzzed\"\npends = 2\nskips = 3\n"
            + "\n[[interrupt_triggers]]\nname = \"when\"\nevery = \"fuzzed\"\nclock = \"blocks\"\nirq = 4\n"
            + "\n[[symbols]]\nname = \"main\"\naddress = 0x08000100\n";   // an at must name an address or one of the device's symbols
        var device = DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "b.toml");
        foreach (var format in new[] { DeviceConfigFormat.Toml, DeviceConfigFormat.Yaml, DeviceConfigFormat.Json })
        {
            Assert.Equal(device.InterruptTriggers, DeviceConfigReader.Parse(DeviceConfigWriter.Write(device, format), format, "b").InterruptTriggers);
        }
        var e = Assert.Throws<MemGate.Devices.DeviceDescriptionException>(() => DeviceConfigReader.Parse(
            File.ReadAllText(Fixture("trigger-board.toml")) + "\n[[interrupt_triggers]]\nname = \"both\"\nevery = 10\nat = \"main\"\n", DeviceConfigFormat.Toml, "b.toml"));
        var d = Assert.Single(e.Diagnostics, d => d.Severity == MemGate.Devices.DiagnosticSeverity.Error);
        Assert.Equal("interrupt_triggers[1]", d.Field);
        Assert.Contains(device.InterruptTriggers, t => t.EveryFuzzed && t.Every is null && t.CountsBlocks);
        Assert.Equal(30, d.Location!.Value.Line);
    }
}
