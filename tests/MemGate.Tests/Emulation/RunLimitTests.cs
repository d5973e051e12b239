using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

/// <summary>Fuzzware's per-run limits: basic blocks (the run ends after N) and interrupts (the run ends at the Nth, before its handler).</summary>
public sealed class RunLimitTests
{
    private const string Board = """
        [device]
        name = "Limited"
        cpu = "cortex-m3"

        [[regions]]
        name = "Flash"
        guest_address = "0x00000000"
        size = "4KB"
        type = "flash"

        [[regions]]
        name = "SRAM"
        guest_address = "0x20000000"
        size = "4KB"
        type = "ram"

        [[regions]]
        name = "PPB"
        guest_address = "0xE0000000"
        size = "1MB"
        type = "mmio"
        unmodelled = "plain"
        """;

    // 0x40: movs r0, #0; loop: adds r0, #1; b loop — a first block of three instructions, then blocks of two.
    private static FirmwareMachine Looping(string limits)
    {
        var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(Board + "\n" + limits, DeviceConfigFormat.Toml, "limited.toml"), TextWriter.Null);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(4), 0x41);
        ushort[] code = [0x2000, 0x3001, 0xE7FD];
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x40 + 2 * (ulong)i), code[i]);
        }
        return machine;
    }

    [Fact]
    public void The_block_limit_ends_the_run_after_exactly_that_many_blocks_every_run()
    {
        using var machine = Looping("[limits]\nblocks = 100\n");
        Assert.Equal(100UL, machine.BlockLimit);
        for (int run = 0; run < 2; run++)
        {
            var result = machine.Run(maxInstructions: 100_000);
            // 3 instructions in the first block, 2 in each of the 99 after it; the 101st block does not start.
            Assert.Equal((RunOutcome.BlockLimit, "block limit: 100 basic blocks", 201UL), (result.Outcome, result.Reason, result.Instructions));
            Assert.Equal(0x42UL, machine.ProgramCounter & ~1UL);   // where the next block would have started
        }
        machine.BlockLimit = 1;
        Assert.Equal((RunOutcome.BlockLimit, 3UL), (machine.Run(maxInstructions: 100_000).Outcome, machine.Instructions));
        machine.BlockLimit = 0;   // none: the instruction limit ends it
        Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: 1000).Outcome);
    }

    [Fact]
    public void The_instruction_limit_still_wins_when_it_comes_first()
    {
        using var machine = Looping("[limits]\nblocks = 1000\n");
        Assert.Equal((RunOutcome.InstructionLimit, 500UL), (machine.Run(maxInstructions: 500).Outcome, machine.Instructions));
    }

    [Fact]
    public void The_interrupt_limit_ends_the_run_at_the_limit_th_interrupt_before_its_handler_runs()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement");
        string board = File.ReadAllText(Path.Combine(fixtures, "trigger-board.toml"));
        board = board[..(board.IndexOf("\n[[interrupt_triggers]]", StringComparison.Ordinal) + 1)] + "[[interrupt_triggers]]\nname = \"five\"\nevery = 700\nirq = 5\n";
        string Run(ulong? limit, out RunResult result)
        {
            var output = new StringWriter();
            using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(board, DeviceConfigFormat.Toml, "trigger-board.toml"), output);
            machine.Load(FirmwareReader.Load(Path.Combine(fixtures, "triggers.elf")));
            if (limit is { } n)
            {
                machine.InterruptLimit = n;
            }
            result = machine.Run(maxInstructions: 200_000);
            return output.ToString();
        }
        Assert.Equal("555555\n", Run(null, out var free));
        Assert.Equal(6, free.ExitCode);
        // Fuzzware counts the entry that reaches the limit and ends the run there: three handlers ran, not four.
        Assert.Equal("555", Run(4, out var limited).TrimEnd());
        Assert.Equal((RunOutcome.InterruptLimit, "interrupt limit: 4 interrupts"), (limited.Outcome, limited.Reason));
        Assert.Equal("555555\n", Run(0, out _));   // 0: none
    }

    [Fact]
    public void Limits_survive_conversion_and_a_bad_one_is_named()
    {
        var device = DeviceConfigReader.Parse(Board + "\n[limits]\nblocks = 3000000\ninterrupts = 3000\ninput_timeout = 150000\n", DeviceConfigFormat.Toml, "l.toml");
        Assert.Equal(new DeviceLimits(3_000_000, 3000, 150_000), device.Limits);
        foreach (var format in new[] { DeviceConfigFormat.Toml, DeviceConfigFormat.Yaml, DeviceConfigFormat.Json })
        {
            Assert.Equal(device.Limits, DeviceConfigReader.Parse(DeviceConfigWriter.Write(device, format), format, "l").Limits);
        }
        Assert.DoesNotContain("[limits]", DeviceConfigWriter.Write(DeviceConfigReader.Parse(Board, DeviceConfigFormat.Toml, "b.toml"), DeviceConfigFormat.Toml), StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(Board + "\n[limits]\nblocks = \"many\"\nticks = 5\n", DeviceConfigFormat.Toml, "l.toml"));
        Assert.Contains(e.Diagnostics, d => d.Field == "limits.blocks" && d.Severity == DiagnosticSeverity.Error);
        Assert.Contains(e.Diagnostics, d => d.Field == "limits.ticks" && d.Message.Contains("unknown field", StringComparison.Ordinal));
    }
}
