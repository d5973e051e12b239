using MemGate.Devices;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;

namespace MemGate.Emulation;

/// <summary>
/// A Cortex-A53 machine after QEMU's Arm <c>virt</c> board: the PL011 UART at 0x09000000 prints to the
/// output and ARM semihosting (HLT #0xF000: SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT,
/// SYS_EXIT_EXTENDED) reaches the output and the exit code. Firmware starts at the image's entry point
/// with the MMU off, as QEMU's <c>-kernel</c> starts a bare-metal ELF.
/// </summary>
public sealed class Aarch64Machine : FirmwareMachine
{
    private static readonly ulong[] Halts = [0xFFFF_F000, 0x7F_FFFF_F000, 0x3FFF_F000];
    private const uint HltSemihosting = 0xD45E_0000;   // hlt #0xf000

    private readonly Semihosting _semihosting;

    private Aarch64Machine(DeviceMemory memory, TextWriter output, TextWriter? errorOutput)
        : base(memory, output, errorOutput, Unicorn.ArchArm64, Unicorn.ModeArm, Unicorn.CpuArm64A53, engineOwned: false)
    {
        _semihosting = new Semihosting(memory.Main, output, ErrorOutput, wordBytes: 8);
    }

    /// <summary>Builds the machine for a cortex-a53 device (see <see cref="FirmwareMachine.Create"/>).</summary>
    /// <exception cref="NotSupportedException">The device's CPU is not a Cortex-A53, or Unicorn is not installed.</exception>
    public static new Aarch64Machine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions? options = null)
    {
        options ??= new FirmwareMachineOptions();
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Cpu.Equals("cortex-a53", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"Device '{device.Name}' has CPU '{device.Cpu}'; the AArch64 machine runs cortex-a53.");
        }
        var models = new List<PeripheralModel>();
        if (device.Regions.Any(r => r.Type == DeviceRegionType.Mmio && r.Start <= 0x0900_0000 && r.Last >= 0x0900_0FFF))
        {
            models.Add(new PeripheralModel("UART0", 0x0900_0000, 0x1000, Pl011Uart.Create("UART0", 0x0900_0000, output)));
        }
        var memory = Allocate(device, options, models, EngineRegisterFile.Aarch64());
        return Build(memory, options, () => new Aarch64Machine(memory, output, options.ErrorOutput));
    }

    private protected override void Loaded(Firmware.FirmwareImage image) => _semihosting.CommandLine = image.File;

    private protected override int ProgramCounterRegister => Unicorn.Arm64RegPc;

    private protected override IReadOnlyList<ulong> HaltCandidates => Halts;

    private protected override uint HaltInstructions => 0x1400_0000;   // b .

    // No interrupt sources are modelled here: a WFI ends the run as idle, saying so.
    private protected override bool WaitsForInterrupt(ulong pc) => pc >= 4 && ReadInstruction(pc - 4, 4) == 0xD503_207F;

    private protected override ulong Reset()
    {
        if (Memory.Device.Boot.InitialStackPointer is { } sp)
        {
            SetRegister(Unicorn.Arm64RegSp, sp);
        }
        return StartAddress();
    }

    // Unicorn stops on HLT (and on other exceptions) through this hook; HLT #0xF000 is a semihosting call.
    private protected override void Interrupt(uint number)
    {
        ulong pc = ReadPc();
        foreach (ulong at in (ulong[])[pc, pc - 4])
        {
            if (ReadInstruction(at, 4) == HltSemihosting)
            {
                var (result, exit) = _semihosting.Call(Register(Unicorn.Arm64RegX0) & 0xFFFF_FFFF, Register(Unicorn.Arm64RegX1));
                if (exit is { } code)
                {
                    Exit(code);
                    return;
                }
                SetRegister(Unicorn.Arm64RegX0, result);
                SetRegister(Unicorn.Arm64RegPc, at + 4);
                return;
            }
        }
        Fail($"Run stopped at PC 0x{pc:X8}: CPU exception {number} (exceptions are not delivered to AArch64 firmware by this machine).");
    }
}
