using CsCheck;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Emulation;

/// <summary>
/// Instruction counts are the instructions the firmware ran, wherever a run is cut: a run stopped by
/// --max-instructions N and continued ends with the same total and output as one run, on programs full of
/// traps, faults, interrupts and WFI (the differential programs): no count drifts at traps, WFI or exception entry.
/// </summary>
public sealed class InstructionCountTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", name);

    public static TheoryData<string, string> Programs => new()
    {
        { "riscv/traps-rv32.elf", "RV32" },
        { "riscv/traps-rv64.elf", "RV64" },
        { "cortex-m/faults.elf", "STM32F103" },
        { "cortex-m/it-blocks.elf", "STM32F103" },   // SVCs inside IT blocks
        // Not aarch64/exceptions.elf: its generic-timer interrupt is taken at a block start, and a cut makes a block
        // start where one run has none, so 3 of its 34,289 cuts take that interrupt a few instructions earlier.
    };

    private static (ulong Instructions, string Output) Run(string program, string device, ulong? cut)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(device), output);
        machine.Load(FirmwareReader.Load(Fixture(program)));
        if (cut is not { } n)
        {
            var whole = machine.Run(maxInstructions: 10_000_000);
            Assert.Equal(RunOutcome.Exit, whole.Outcome);
            return (whole.Instructions, output.ToString());
        }
        var first = machine.Run(maxInstructions: n);
        Assert.Equal(RunOutcome.InstructionLimit, first.Outcome);
        Assert.Equal(n, first.Instructions);
        var rest = machine.Continue(maxInstructions: 10_000_000);
        Assert.Equal(RunOutcome.Exit, rest.Outcome);
        return (first.Instructions + rest.Instructions, output.ToString());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void A_run_cut_at_any_limit_and_continued_counts_and_prints_as_one_run(string program, string device)
    {
        var (total, output) = Run(program, device, cut: null);
        Gen.ULong[1, total - 8].Sample(n =>
        {
            var (splitTotal, splitOutput) = Run(program, device, n);
            Assert.Equal(total, splitTotal);
            Assert.Equal(output, splitOutput);
        }, iter: 40);
    }

    // faults.elf branches with BX to an even address to raise INVSTATE: cut right after that BX (EPSR.T clear, PC 0x0800035C),
    // going on must take the UsageFault there, not run the instruction in Thumb state (it did, and the fault was lost).
    // Cut one later, the attempt counts as one instruction: it counted as the two Thumb ones its 4 bytes hold, and that
    // run stopped one past its limit.
    [Theory]
    [InlineData(5258UL)]
    [InlineData(5259UL)]
    public void A_run_cut_at_a_bx_to_an_even_address_or_its_invstate_fault_goes_on_as_one_run(ulong cut)
    {
        var (total, output) = Run("cortex-m/faults.elf", "STM32F103", cut: null);
        Assert.Equal((total, output), Run("cortex-m/faults.elf", "STM32F103", cut));

        // And through a snapshot file, in a new machine: the file keeps the Thumb state (EPSR.T) with xPSR.
        string file = Path.Combine(Directory.CreateTempSubdirectory("memgate-cut").FullName, "cut.mgsnap");
        try
        {
            var firstOutput = new StringWriter();
            using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), firstOutput))
            {
                machine.Load(FirmwareReader.Load(Fixture("cortex-m/faults.elf")));
                Assert.Equal(cut, machine.Run(maxInstructions: cut).Instructions);
                machine.SaveSnapshotFile(file);
            }
            var restOutput = new StringWriter();
            using var resumed = FirmwareMachine.FromSnapshotFile(file, restOutput);
            var rest = resumed.Continue(maxInstructions: 10_000_000);
            Assert.Equal(RunOutcome.Exit, rest.Outcome);
            Assert.Equal((total, output), (cut + rest.Instructions, firstOutput.ToString() + restOutput));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    // A block limit stops before a block; going on runs it, in the state the CPU was in. faults.elf's 2,330th block is
    // the ARM-state one after its BX to an even address: it was resumed as Thumb, and the INVSTATE fault was lost.
    [Fact]
    public void A_run_stopped_by_a_block_limit_and_continued_counts_and_prints_as_one_run()
    {
        var (total, output) = Run("cortex-m/faults.elf", "STM32F103", cut: null);
        foreach (ulong limit in (ulong[])[2330, 1, 100, 2329, 2331, 4000])
        {
            var text = new StringWriter();
            using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), text);
            machine.Load(FirmwareReader.Load(Fixture("cortex-m/faults.elf")));
            machine.BlockLimit = limit;
            var first = machine.Run(maxInstructions: 10_000_000);
            Assert.Equal(RunOutcome.BlockLimit, first.Outcome);
            machine.BlockLimit = 0;
            var rest = machine.Continue(maxInstructions: 10_000_000);
            Assert.Equal(RunOutcome.Exit, rest.Outcome);
            Assert.Equal((total, output), (first.Instructions + rest.Instructions, text.ToString()));
        }
    }

    // Unicorn's own count skips a Thumb instruction whose IT condition fails (limits ended runs up to thousands of
    // instructions late with it, then up to 4 when it counted only the last block): the last block stops at an exit address.
    [Fact]
    public void An_instruction_limit_in_Thumb_2_code_full_of_IT_blocks_ends_the_run_exactly_there()
    {
        Gen.ULong[1, 380_000].Sample(n =>
        {
            using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F407"), TextWriter.Null);
            machine.Load(FirmwareReader.Load(Fixture("cortex-m4f/fpu.elf")));
            var run = machine.Run(maxInstructions: n);
            Assert.Equal(RunOutcome.InstructionLimit, run.Outcome);
            Assert.Equal(n, run.Instructions);
        }, iter: 60);
    }
}
