using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Emulation;

// Stop mid-run, snapshot memory + CPU + models, finish, go back, finish again: the same continuation.
public sealed class MachineSnapshotTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [SkippableTheory]
    [InlineData("STM32F103", "tasks.elf", 1500UL, 0)]       // two tasks on PSP, PendSV switches, SysTick ticking
    [InlineData("RV32", "riscv-virt/hello-rv32.elf", 200UL, 0)]   // CLINT timer armed, sleeping in WFI between ticks
    public void A_restored_snapshot_continues_exactly_as_the_first_time(string template, string image, ulong stopAt, int exitCode)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), output);
        machine.Load(FirmwareReader.Load(Fixture(image)));
        var first = machine.Run(maxInstructions: stopAt, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("instruction limit", first.Reason);
        string before = output.ToString();

        Requires.WriteTracking();
        using (var snapshot = machine.TakeSnapshot())
        {
            var end = machine.Continue(timeout: TimeSpan.FromSeconds(10));
            string rest = output.ToString()[before.Length..];
            Assert.Equal((exitCode, "exit"), (end.ExitCode, end.Reason));
            Assert.NotEmpty(rest);
            Assert.Throws<InvalidOperationException>(() => machine.Continue());   // exited: nothing to go on with

            var restore = machine.Restore(snapshot);
            Assert.True(restore.Pages > 0);
            int mark = output.ToString().Length;
            var again = machine.Continue(timeout: TimeSpan.FromSeconds(10));
            Assert.Equal((end.ExitCode, end.Reason, end.Instructions), (again.ExitCode, again.Reason, again.Instructions));
            Assert.Equal(rest, output.ToString()[mark..]);
        }
    }
}
