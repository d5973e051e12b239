using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

/// <summary>
/// An exception taken right after a BX to an even address (EPSR.T clear) stacks xPSR with T clear, and the return
/// goes back in that state, so the next instruction takes the INVSTATE UsageFault (ARMv7-M B1.5.8), as on QEMU. The
/// return used to set T again and run the code as Thumb, and whether the firmware's bug showed depended on interrupts.
/// </summary>
public sealed class ExceptionThumbStateTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    // Vector table (SP 0x20001000, reset 0x08000041, HardFault 0x08000069, PendSV 0x08000061), then (llvm-mc, thumbv7m):
    //   0x40: ldr r0, =ICSR; mov.w r1, #PENDSVSET; ldr r2, =0x08000080; str r1, [r0]; bx r2   (PendSV taken at the ARM-state block)
    //   0x60: bx lr                                  (PendSV)
    //   0x68: semihosting exit with code 0x42        (HardFault: the INVSTATE UsageFault, escalated)
    //   0x80: semihosting exit with code 0x11        (the code at the even address run as Thumb: the state was lost)
    private const string Image =
        "0010002041000008000000006900000800000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "610000080000000014484ff08051144a016010470000000000000000000000000000000000000000704700000000000020200c494ff04202" +
        "4df8081d019269462020abbe0000000006494ff011024df8081d019269462020abbe000004ed00e08000000826000200";

    private static int? Run(byte[] image)
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Memory.Main.Debug.Write(new GuestAddress(0x0800_0000), image);
        return machine.Run(timeout: Limit).ExitCode;
    }

    [Fact]
    public void Returning_to_code_reached_by_bx_to_an_even_address_takes_invstate_as_qemu_recorded()
    {
        Assert.Equal(0x42, Run(Convert.FromHexString(Image)));
    }

    [SkippableFact]
    public async Task Returning_to_code_reached_by_bx_to_an_even_address_takes_invstate_as_qemu_now()
    {
        var image = Convert.FromHexString(Image);
        Assert.Equal(await QemuReference.ExitCodeOfRawImageAsync("STM32F103", image, Limit), Run(image));
    }
}
