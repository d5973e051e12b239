using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Engine;
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
    internal static FirmwareMachine Looping(string limits)
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

    // Within 4,096 instructions of an instruction limit the engine is stopped before a block and runs on with its own
    // count: the block it stopped before is entered twice, and must still count once toward the block limit.
    [Fact]
    public void The_block_limit_counts_a_block_once_where_the_run_switches_to_counting_instructions()
    {
        using var machine = Looping("[limits]\nblocks = 5000\n");
        // 3 + 2 x 4,999 = 10,001 instructions in 5,000 blocks; the switch comes at about 12,000 - 4,096, well before.
        var result = machine.Run(maxInstructions: 12_000);
        Assert.Equal((RunOutcome.BlockLimit, 10_001UL), (result.Outcome, result.Instructions));
        machine.BlockLimit = 0;
        Assert.Equal((RunOutcome.InstructionLimit, 12_000UL), (machine.Run(maxInstructions: 12_000).Outcome, machine.Instructions));
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

    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    // A run of an STM32F103 image with its exception and block traces, and how many blocks the engine counted in it.
    private sealed record TracedRun(RunResult Result, string Output, string[] Entries, string[] Blocks, ulong Counted);

    private static TracedRun RunTraced(string image, ulong interruptLimit = 0, ulong blockLimit = 0)
    {
        ICpuEngine? engine = null;
        var output = new StringWriter();
        var exceptions = new StringWriter();
        var blocks = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), output, new FirmwareMachineOptions { EngineFactory = d => engine = UnicornEngine.ForDevice(d) });
        machine.Load(FirmwareReader.Load(image));
        machine.TraceExceptions(exceptions);
        machine.TraceBlocks(blocks);
        (machine.InterruptLimit, machine.BlockLimit) = (interruptLimit, blockLimit);
        ulong before = engine!.Blocks;
        var result = machine.Run(maxInstructions: 5_000_000);
        machine.FlushTraces();
        static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new(result, output.ToString(), [.. Lines(exceptions).Where(l => l.Contains(" entry ", StringComparison.Ordinal))], Lines(blocks), engine.Blocks - before);
    }

    private static bool IsSysTick(string entry) => entry.Contains(" entry 15 SysTick ", StringComparison.Ordinal);

    [Fact]
    public void SysTick_entries_do_not_count_toward_the_interrupt_limit_other_exceptions_do()
    {
        // systick.elf takes five SysTick interrupts and nothing else: even a limit of 1 never ends it.
        foreach (ulong limit in new ulong[] { 1, 3 })
        {
            var ticks = RunTraced(Fixture("firmware", "systick.elf"), interruptLimit: limit);
            Assert.Equal((RunOutcome.Exit, "ticks: 5\n"), (ticks.Result.Outcome, ticks.Output));
            Assert.Equal(5, ticks.Entries.Count(IsSysTick));
        }
        // tasks.elf takes SVC and PendSV as well as SysTick: the limit falls exactly at the Nth entry of the others.
        string tasks = Fixture("firmware", "tasks.elf");
        var free = RunTraced(tasks);
        Assert.Equal(RunOutcome.Exit, free.Result.Outcome);
        int sysTicks = free.Entries.Count(IsSysTick), others = free.Entries.Length - sysTicks;
        Assert.True(sysTicks >= 4 && others >= 3, $"{sysTicks} SysTick entries, {others} others");
        // One above the others' count: the run is as without a limit (were SysTick's counted, it would end at entry others + 1).
        var above = RunTraced(tasks, interruptLimit: (ulong)others + 1);
        Assert.Equal((RunOutcome.Exit, free.Output), (above.Result.Outcome, above.Output));
        Assert.Equal(free.Entries, above.Entries);
        // At the others' count: the last of them ends the run before its handler, the SysTick entries before it all taken.
        var at = RunTraced(tasks, interruptLimit: (ulong)others);
        Assert.Equal(RunOutcome.InterruptLimit, at.Result.Outcome);
        int last = Array.FindLastIndex(free.Entries, e => !IsSysTick(e));
        Assert.Equal(free.Entries[..last], at.Entries);
        // faults.elf takes SVCs and faults: a small limit ends it.
        var faults = RunTraced(Fixture("differential", "cortex-m", "faults.elf"), interruptLimit: 3);
        Assert.Equal(RunOutcome.InterruptLimit, faults.Result.Outcome);
        Assert.Equal(2, faults.Entries.Length);
        Assert.DoesNotContain(faults.Entries, IsSysTick);
    }

    [Fact]
    public void Only_firmware_blocks_count_not_the_machine_code_run_at_exception_entries_and_returns()
    {
        // tasks.elf's SVC, PendSV and SysTick entries and returns each go through the machine's CLREX page, and the run
        // ends on the halt page: the engine's block count (the clock of the block limit, the input timeout and block
        // triggers) counts only the blocks the block trace shows, the firmware's.
        string tasks = Fixture("firmware", "tasks.elf");
        var free = RunTraced(tasks);
        Assert.Equal(RunOutcome.Exit, free.Result.Outcome);
        Assert.True(free.Entries.Length >= 10, $"{free.Entries.Length} exception entries");
        Assert.Equal((ulong)free.Blocks.Length, free.Counted);
        // The block limit ends the run after exactly that many firmware blocks, however many exceptions came between.
        int limit = free.Blocks.Length - 20;
        var limited = RunTraced(tasks, blockLimit: (ulong)limit);
        Assert.Equal(RunOutcome.BlockLimit, limited.Result.Outcome);
        Assert.Equal(free.Blocks[..limit], limited.Blocks);
        Assert.Equal(free.Entries.Length, limited.Entries.Length);   // all of them taken before the limit
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
