using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

// What a library caller gets from a machine used after Dispose, from memory changed under it, and from register names.
public sealed class MachineLifetimeTests
{
    private static FirmwareMachine Stm32() =>
        FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);

    private static FirmwareImage Loop() => new("inline", FirmwareFormat.Raw,
    [
        new FirmwareSegment(0x0800_0000, [0x00, 0x10, 0x00, 0x20, 0x41, 0x00, 0x00, 0x08], "vectors"),
        new FirmwareSegment(0x0800_0040, [0xFE, 0xE7], "b ."),
    ]);

    // Every call used to reach the freed engine and crash the process (a segfault).
    [Fact]
    public void A_disposed_machine_throws_object_disposed_instead_of_crashing()
    {
        var machine = Stm32();
        machine.Load(Loop());
        Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: 100).Outcome);
        machine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => machine.Run(maxInstructions: 100));
        Assert.Throws<ObjectDisposedException>(() => machine.Continue(maxInstructions: 100));
        Assert.Throws<ObjectDisposedException>(() => machine.Registers.Read(0));
        Assert.Throws<ObjectDisposedException>(() => machine.TakeSnapshot());
        Assert.Throws<ObjectDisposedException>(() => machine.InvalidateCode(0x0800_0000, 4));
        Assert.Throws<ObjectDisposedException>(() => machine.Load(Loop()));
        machine.Dispose();
    }

    // The engine maps the regions once: a run after a change would use a removed region's memory, or none for an added one.
    [Fact]
    public void A_run_after_the_machines_regions_changed_is_refused()
    {
        using var machine = Stm32();
        machine.Load(Loop());
        machine.Memory.Main.RemoveRegion("SRAM");
        var e = Assert.Throws<InvalidOperationException>(() => machine.Run(maxInstructions: 100));
        Assert.Contains("Regions were added to or removed from the machine's memory", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => machine.Continue(maxInstructions: 100));
    }

    [Fact]
    public void Registers_are_found_in_any_case_and_by_their_abi_names_and_a_bad_index_is_named()
    {
        using (var machine = Stm32())
        {
            Assert.Equal((13, 13, 15), (machine.Registers.IndexOf("sp"), machine.Registers.IndexOf("r13"), machine.Registers.IndexOf("pc")));
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => machine.Registers.Read(machine.Registers.IndexOf("x5")));
            Assert.Contains("IndexOf returns -1", e.Message, StringComparison.Ordinal);
        }
        using (var rv = FirmwareMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null))
        {
            Assert.Equal((2, 10, 8, 8, 0), (rv.Registers.IndexOf("sp"), rv.Registers.IndexOf("a0"), rv.Registers.IndexOf("fp"), rv.Registers.IndexOf("S0"), rv.Registers.IndexOf("zero")));
            Assert.Equal(32, rv.Registers.IndexOf("PC"));
        }
    }
}
