using CsCheck;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Snapshots;

// Property: wherever a run is stopped, (1) a machine snapshot taken there, continued, restored and continued
// again gives the same output, end, instruction count and final state twice; (2) a new machine started from a
// snapshot file written there does the same. Stop points are random, over firmware that switches tasks on
// SysTick and PendSV, takes traps and timer interrupts, and handles EL1 exceptions with the GIC.
public sealed class SnapshotPropertyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("memgate-snapprop-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly (string Image, string Template)[] Programs =
    [
        ("firmware/tasks.elf", "STM32F103"),
        ("differential/cortex-m4f/fpu.elf", "STM32F407"),
        ("differential/riscv/traps-rv32.elf", "RV32"),
        ("differential/aarch64/exceptions.elf", "CortexA53"),
    ];

    private static readonly Lazy<ulong[]> Totals = new(() => [.. Programs.Select(p =>
    {
        using var machine = Start(p.Image, p.Template, TextWriter.Null);
        return machine.Run(timeout: TimeSpan.FromSeconds(20)).Instructions;
    })]);

    private static FirmwareMachine Start(string image, string template, TextWriter output)
    {
        var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), output);
        machine.Load(FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", image)));
        return machine;
    }

    [SkippableFact]
    public void Wherever_a_run_stops_both_kinds_of_snapshot_go_on_identically()
    {
        Requires.WriteTracking();
        var totals = Totals.Value;
        Gen.Int[0, Programs.Length - 1].SelectMany(p => Gen.Double[0.01, 0.99].Select(f => (p, Stop: Math.Max(1UL, (ulong)(totals[p] * f)))))
            .Sample(t =>
            {
                var (image, template) = Programs[t.p];
                var output = new StringWriter();
                using var machine = Start(image, template, output);
                machine.Run(maxInstructions: t.Stop, timeout: TimeSpan.FromSeconds(20));
                string file = Path.Combine(_directory, "point.mgsnap");
                machine.SaveSnapshotFile(file);
                using var snapshot = machine.TakeSnapshot();
                int mark = output.ToString().Length;
                var first = machine.Continue(timeout: TimeSpan.FromSeconds(20));
                string rest = output.ToString()[mark..];
                var firstState = machine.CaptureState();

                machine.Restore(snapshot);
                mark = output.ToString().Length;
                var again = machine.Continue(timeout: TimeSpan.FromSeconds(20));
                Assert.Equal((first.Outcome, first.ExitCode, first.Instructions), (again.Outcome, again.ExitCode, again.Instructions));
                Assert.Equal(rest, output.ToString()[mark..]);
                Assert.Equal(firstState.Registers, machine.CaptureState().Registers);

                var fromFile = new StringWriter();
                using var resumed = FirmwareMachine.FromSnapshotFile(file, fromFile);
                var third = resumed.Continue(timeout: TimeSpan.FromSeconds(20));
                Assert.Equal((first.Outcome, first.ExitCode, first.Instructions), (third.Outcome, third.ExitCode, third.Instructions));
                Assert.Equal(rest, fromFile.ToString());
                Assert.Equal(firstState.Registers, resumed.CaptureState().Registers);
            }, iter: 24, threads: 1);
    }
}
