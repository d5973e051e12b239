using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Peripherals.Arm;

namespace MemGate.Tests.Emulation;

/// <summary>
/// The SysTick and NVIC behaviour Fuzzware's emulator has (cortexm_systick.c, cortexm_nvic.c), which devices imported
/// from Fuzzware select: SysTick counts basic blocks with its reload kept within 500-1500, a CSR read sets COUNTFLAG
/// for the next one, and no exception preempts a running handler.
/// </summary>
public sealed class FuzzwareTimingTests
{
    private const ulong Csr = 0x0, Rvr = 0x4, Cvr = 0x8;

    private static (SysTickTimer Timer, Nvic Nvic, Func<ulong> Blocks, Action<ulong> Run) FuzzwareSysTick()
    {
        var nvic = new Nvic(16, priorityBits: 8);
        ulong blocks = 0;
        var timer = new SysTickTimer(nvic) { CountsBlocks = true, ReloadMinimum = 500, ReloadMaximum = 1500, ReadSetsCountFlag = true };
        timer.BlockClock = () => blocks;
        timer.Reset();
        return (timer, nvic, () => blocks, n => { blocks += n; timer.Sync(); });
    }

    [Fact]
    public void A_reload_for_a_millisecond_at_72_mhz_becomes_1500_blocks_and_the_interrupt_comes_after_them()
    {
        var (timer, nvic, _, run) = FuzzwareSysTick();
        timer.Block.Write(Rvr, 4, 71_999);
        Assert.Equal(1500UL, timer.Block.Read(Rvr, 4));
        timer.Block.Write(Csr, 4, 7);   // ENABLE, TICKINT, CLKSOURCE
        timer.Advance(1_000_000);       // instructions do not count
        Assert.False(nvic.IsPending(Nvic.SysTick));
        run(1000);
        Assert.Equal(500UL, timer.Block.Read(Cvr, 4));   // blocks left, read between block entries
        run(499);
        Assert.False(nvic.IsPending(Nvic.SysTick));
        run(1);
        Assert.True(nvic.IsPending(Nvic.SysTick));
        Assert.Equal(1500UL, timer.ClocksToInterrupt);

        timer.Block.Write(Rvr, 4, 10);   // too short a tick for the emulator: 500 blocks
        Assert.Equal(500UL, timer.Block.Read(Rvr, 4));
    }

    [Fact]
    public void Reading_csr_sets_countflag_for_the_next_read_so_polling_sees_time_pass()
    {
        var (timer, _, _, _) = FuzzwareSysTick();
        timer.Block.Write(Rvr, 4, 1000);
        timer.Block.Write(Csr, 4, 1);
        Assert.Equal(1UL, timer.Block.Read(Csr, 4));
        Assert.Equal(1UL | (1UL << 16), timer.Block.Read(Csr, 4));
        timer.Block.Write(Cvr, 4, 0);   // a CVR write clears it
        Assert.Equal(1UL, timer.Block.Read(Csr, 4));

        // The architecture's timer clears it on read.
        var plain = new SysTickTimer(new Nvic(16));
        plain.Block.Write(Rvr, 4, 9);
        plain.Block.Write(Csr, 4, 1);
        plain.Advance(10);
        Assert.Equal(1UL | (1UL << 16), plain.Block.Read(Csr, 4));
        Assert.Equal(1UL, plain.Block.Read(Csr, 4));
    }

    [Fact]
    public void A_systick_that_does_not_count_holds_its_registers_and_never_interrupts()
    {
        var nvic = new Nvic(16);
        var timer = new SysTickTimer(nvic) { Counts = false };
        timer.Block.Write(Rvr, 4, 100);
        timer.Block.Write(Csr, 4, 3);
        timer.Advance(10_000);
        Assert.Equal(100UL, timer.Block.Read(Rvr, 4));
        Assert.False(nvic.IsPending(Nvic.SysTick));
        Assert.Equal(ulong.MaxValue, timer.ClocksToInterrupt);
    }

    [Fact]
    public void Without_nesting_nothing_preempts_a_running_handler_until_it_returns()
    {
        foreach (bool nesting in new[] { true, false })
        {
            var nvic = new Nvic(16, priorityBits: 8) { Nesting = nesting };
            nvic.NvicBlock.Write(0x000, 4, 0b11);          // ISER: IRQ0, IRQ1
            nvic.NvicBlock.Write(0x300, 4, 0x0000_4080);   // IPR: IRQ0 priority 0x80, IRQ1 0x40 (higher)
            nvic.Pend(Nvic.FirstExternal);
            Assert.Equal(Nvic.FirstExternal, nvic.NextToTake(primask: false, basepri: 0));
            nvic.Enter(Nvic.FirstExternal);
            nvic.SetPending(1);
            Assert.Equal(nesting ? Nvic.FirstExternal + 1 : 0, nvic.NextToTake(primask: false, basepri: 0));
            nvic.Leave(Nvic.FirstExternal);
            Assert.Equal(Nvic.FirstExternal + 1, nvic.NextToTake(primask: false, basepri: 0));   // tail-chained
        }
    }

    // The SysTick example (five ticks, sleeping in WFI between them) on an STM32F103 whose SCS has these settings.
    private static (string Output, RunResult Result) RunSysTickExample(string settings)
    {
        string text = DeviceTemplates.GetText("STM32F103").Replace("priority_bits = 4\n", "priority_bits = 4\n" + settings, StringComparison.Ordinal);
        Assert.Contains(settings, text, StringComparison.Ordinal);
        var output = new StringWriter();
        using var machine = CortexMMachine.Create(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "STM32F103.toml"), output);
        machine.Load(FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "systick.elf")));
        var result = machine.Run(maxInstructions: 1_000_000, timeout: TimeSpan.FromSeconds(10));
        return (output.ToString(), result);
    }

    [Fact]
    public void The_machine_runs_a_systick_that_counts_blocks_and_one_that_does_not_count()
    {
        var (output, result) = RunSysTickExample("systick_clock = \"blocks\"\nsystick_reload_min = 500\nsystick_reload_max = 1500\nnesting = false\n");
        Assert.Equal(("ticks: 5\n", 0), (output, result.ExitCode));

        // use_systick: false: the firmware waits for a tick that never comes.
        (output, result) = RunSysTickExample("systick = false\n");
        Assert.Equal("", output);
        Assert.Equal(RunOutcome.Idle, result.Outcome);
    }
}
