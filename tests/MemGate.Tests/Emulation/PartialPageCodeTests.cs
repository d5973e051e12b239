using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

/// <summary>
/// The CPU engine runs code only from whole pages (1 KiB on Arm): code in the part of a page an executable region
/// fills is refused, and the fault says why and what to change; it used to say "non-executable" of an r-x region, or,
/// with no vector table to deliver the fault to, complain about reading the vector table instead.
/// </summary>
public sealed class PartialPageCodeTests
{
    private const string Device = """
        [device]
        name = "Part"
        cpu = "cortex-m3"
        architecture = "armv7-m"

        [boot]
        entry_point = "0x08000101"
        initial_sp = "0x20001000"

        [[regions]]
        name = "flash"
        guest_address = "0x08000100"
        size = "0x1000"
        permissions = "rx"
        type = "flash"

        [[regions]]
        name = "ram"
        guest_address = "0x20000000"
        size = "0x1000"
        permissions = "rw"
        type = "ram"
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]   // the firmware would take it, but has no vector table: the fault ends the run as it is
    public void Code_in_a_page_an_executable_region_fills_in_part_is_refused_saying_why(bool faultsEndRun)
    {
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(Device, DeviceConfigFormat.Toml, "part.toml"), TextWriter.Null);
        machine.Memory.Main.Debug.Write(new GuestAddress(0x0800_0100), [0xFE, 0xE7]);   // b .
        machine.FaultsEndRun = faultsEndRun;
        var fault = Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 10));
        Assert.Equal(0x0800_0100UL, fault.ProgramCounter & ~1UL);
        Assert.Contains("region 'flash', r-x): the region fills the 1 KiB page at 0x08000000 only in part", fault.Message);
        Assert.Contains("start and end the region on 1 KiB boundaries", fault.Message);
    }
}
