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

    // The same, but PendSV pends SysTick (ICSR.PENDSTSET), which tail-chains on PendSV's return: the second exception
    // stacks the state of the return it takes the place of. Handlers at 0x60 (PendSV) and 0x70 (SysTick: bx lr), HardFault at 0xC0.
    private const string TailChained =
        "001000204100000800000000c100000800000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "610000087100000824484ff08051244a0160104700000000000000000000000000000000000000001c484ff0806101607047000000000000" +
        "7047000000000000000000000000000016494ff011024df8081d019269462020abbe00000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000006494ff042024df8081d019269462020abbe000004ed00e08000000826000200";

    private static int? Run(byte[] image)
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Memory.Main.Debug.Write(new GuestAddress(0x0800_0000), image);
        return machine.Run(timeout: Limit).ExitCode;
    }

    [Theory]
    [InlineData(Image)]
    [InlineData(TailChained)]
    public void Returning_to_code_reached_by_bx_to_an_even_address_takes_invstate_as_qemu_recorded(string image)
    {
        Assert.Equal(0x42, Run(Convert.FromHexString(image)));
    }

    [SkippableTheory]
    [InlineData(Image)]
    [InlineData(TailChained)]
    public async Task Returning_to_code_reached_by_bx_to_an_even_address_takes_invstate_as_qemu_now(string hex)
    {
        var image = Convert.FromHexString(hex);
        Assert.Equal(await QemuReference.ExitCodeOfRawImageAsync("STM32F103", image, Limit), Run(image));
    }
}
