using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Snapshots.Files;

namespace MemGate.Tests.Snapshots;

// Stop a run, write the machine to a snapshot file, start a new machine from the file alone, go on: the
// output, exit and instruction count are those of the run that never stopped, and the machine's whole
// visible state (CPU and every register block) is the same right after the start.
public sealed class SnapshotFileMachineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("memgate-snapfile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static TheoryData<string, string> Programs => new()
    {
        { "firmware/tasks.elf", "STM32F103" },                    // two tasks on PSP, PendSV, SysTick
        { "differential/cortex-m4f/fpu.elf", "STM32F407" },      // FP registers, lazy FP stacking, CPACR
        { "differential/riscv/traps-rv32.elf", "RV32" },         // traps, mtvec, mepc
        { "differential/riscv/traps-rv64.elf", "RV64" },
        { "differential/aarch64/exceptions.elf", "CortexA53" },  // EL1 exceptions, GIC, generic timer, 2 GiB of RAM
        { "firmware/riscv-virt/hello-rv32.elf", "RV32" },        // CLINT timer, WFI
    };

    [SkippableTheory]
    [MemberData(nameof(Programs))]
    public void A_machine_started_from_a_snapshot_file_goes_on_as_the_run_that_never_stopped(string image, string template)
    {
        var firmware = FirmwareReader.Load(Fixture(image));
        var whole = new StringWriter();
        RunResult reference;
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), whole))
        {
            machine.Load(firmware);
            reference = machine.Run(timeout: TimeSpan.FromSeconds(20));
        }
        Assert.Equal(RunOutcome.Exit, reference.Outcome);
        foreach (ulong stop in new[] { reference.Instructions / 4, reference.Instructions / 2, reference.Instructions * 3 / 4 })
        {
            string file = Path.Combine(_directory, $"at-{stop}.mgsnap");
            var before = new StringWriter();
            MachineState saved;
            RunResult inProcess;
            string continued;
            using (var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), before))
            {
                machine.Load(firmware);
                Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: stop, timeout: TimeSpan.FromSeconds(20)).Outcome);
                saved = machine.CaptureState();
                machine.SaveSnapshotFile(file);
                int mark = before.ToString().Length;
                inProcess = machine.Continue(timeout: TimeSpan.FromSeconds(20));   // the same machine going on, for the count
                continued = before.ToString()[mark..];
                before.GetStringBuilder().Length = mark;
            }
            var after = new StringWriter();
            using var resumed = FirmwareMachine.FromSnapshotFile(file, after);
            AssertSameState(saved, resumed.CaptureState(), $"{image} at {stop}");
            var end = resumed.Continue(timeout: TimeSpan.FromSeconds(20));
            Assert.Equal((reference.Outcome, reference.ExitCode), (end.Outcome, end.ExitCode));
            Assert.Equal((inProcess.Outcome, inProcess.ExitCode, inProcess.Instructions), (end.Outcome, end.ExitCode, end.Instructions));
            Assert.Equal(continued, after.ToString());
            Assert.Equal(whole.ToString(), before.ToString() + after.ToString());
        }
    }

    private const ulong Marker = 0x0801_F000;

    [Fact]
    public void A_machine_started_from_a_file_saves_a_file_that_holds_everything_again()
    {
        // The second file must hold the pages the middle machine never touched (they are only in the first file).
        string first = Path.Combine(_directory, "first.mgsnap"), second = Path.Combine(_directory, "second.mgsnap");
        var whole = new StringWriter();
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), whole))
        {
            machine.Load(FirmwareReader.Load(Fixture("firmware/tasks.elf")));
            machine.Run(timeout: TimeSpan.FromSeconds(10));
        }
        var output = new StringWriter();
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), output))
        {
            machine.Load(FirmwareReader.Load(Fixture("firmware/tasks.elf")));
            machine.Run(maxInstructions: 300);
            machine.Memory.Main.Debug.WriteUInt32(new GuestAddress(Marker), 0xC0FFEE);   // a flash page the firmware never reads
            machine.SaveSnapshotFile(first);
        }
        using (var middle = FirmwareMachine.FromSnapshotFile(first, output))
        {
            middle.Continue(maxInstructions: 300);
            middle.SaveSnapshotFile(second);
        }
        using (var file = SnapshotFile.Open(second))
        {
            Assert.Equal(600UL, file.Header.Instructions);   // counted from reset, across both files
        }
        using var last = FirmwareMachine.FromSnapshotFile(second, output);
        Assert.Equal(0xC0FFEEu, last.Memory.Main.Debug.ReadUInt32(new GuestAddress(Marker)));
        Assert.Equal(RunOutcome.Exit, last.Continue(timeout: TimeSpan.FromSeconds(10)).Outcome);
        Assert.Equal(whole.ToString(), output.ToString());
    }

    [SkippableFact]
    public void Memory_snapshots_work_on_top_of_a_machine_started_from_a_file()
    {
        Requires.WriteTracking();
        string file = Path.Combine(_directory, "tasks.mgsnap");
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null))
        {
            machine.Load(FirmwareReader.Load(Fixture("firmware/tasks.elf")));
            machine.Run(maxInstructions: 1500);
            machine.SaveSnapshotFile(file);
        }
        var output = new StringWriter();
        using var resumed = FirmwareMachine.FromSnapshotFile(file, output);
        using var snapshot = resumed.TakeSnapshot();
        var first = resumed.Continue(timeout: TimeSpan.FromSeconds(10));
        string rest = output.ToString();
        Assert.NotEmpty(rest);
        resumed.Restore(snapshot);
        var again = resumed.Continue(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal((first.Outcome, first.ExitCode, first.Instructions), (again.Outcome, again.ExitCode, again.Instructions));
        Assert.Equal(rest + rest, output.ToString());
    }

    [Fact]
    public void A_large_device_starts_from_its_file_without_reading_its_memory()
    {
        string file = Path.Combine(_directory, "a53.mgsnap");
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null))
        {
            machine.Load(FirmwareReader.Load(Fixture("firmware/a53-virt/hello.elf")));
            machine.Run(maxInstructions: 50);
            machine.SaveSnapshotFile(file);
        }
        Assert.True(new FileInfo(file).Length > 2L << 30, "the file spans the device's 2 GiB of RAM (as holes)");
        using var resumed = FirmwareMachine.FromSnapshotFile(file, TextWriter.Null);
        Assert.True(resumed.Memory.ResidentBytes() < 16UL << 20, $"{resumed.Memory.ResidentBytes():N0} bytes resident after the start");
    }

    private static void AssertSameState(MachineState expected, MachineState actual, string where)
    {
        Assert.Equal(expected.Device, actual.Device);
        Assert.Equal(expected.Registers.Where(r => r.Name is not ("pc" or "PC")), actual.Registers.Where(r => r.Name is not ("pc" or "PC")));
        Assert.Equal(expected.Interrupts?.Enabled, actual.Interrupts?.Enabled);
        Assert.Equal(expected.Interrupts?.Pending, actual.Interrupts?.Pending);
        Assert.Equal(expected.Interrupts?.Active, actual.Interrupts?.Active);
        Assert.Equal(expected.Peripherals.Count, actual.Peripherals.Count);
        for (int i = 0; i < expected.Peripherals.Count; i++)
        {
            Assert.True(expected.Peripherals[i].Registers.SequenceEqual(actual.Peripherals[i].Registers),
                $"{where}: peripheral {expected.Peripherals[i].Name} differs");
        }
    }
}
