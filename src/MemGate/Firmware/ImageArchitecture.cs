using MemGate.Memory;

namespace MemGate.Firmware;

/// <summary>
/// What an ELF header says about the CPU an image is built for: e_machine, EI_CLASS, EI_DATA and
/// e_flags. HEX, S-record and raw images carry none of this (<see cref="FirmwareImage.Architecture"/> is null).
/// </summary>
/// <param name="Machine">e_machine, for example <see cref="EmArm"/>, <see cref="EmRiscV"/>, <see cref="EmAarch64"/>.</param>
/// <param name="ClassBits">32 for ELFCLASS32, 64 for ELFCLASS64.</param>
/// <param name="ByteOrder">EI_DATA.</param>
/// <param name="Flags">e_flags (the ABI bits of ARM and RISC-V images).</param>
public sealed record ImageArchitecture(ushort Machine, int ClassBits, ByteOrder ByteOrder, uint Flags)
{
    /// <summary>e_machine of 32-bit ARM (including Cortex-M).</summary>
    public const ushort EmArm = 40;

    /// <summary>e_machine of AArch64.</summary>
    public const ushort EmAarch64 = 183;

    /// <summary>e_machine of RISC-V (32 and 64 bit alike; EI_CLASS tells them apart).</summary>
    public const ushort EmRiscV = 243;

    /// <summary>e_machine of Atmel AVR.</summary>
    public const ushort EmAvr = 83;

    /// <summary>e_machine of Tensilica Xtensa.</summary>
    public const ushort EmXtensa = 94;

    /// <summary>ARM e_flags: the image uses the hard-float procedure call standard (needs an FPU).</summary>
    public const uint EfArmAbiFloatHard = 0x400;

    /// <summary>RISC-V e_flags: built for the RV32E/RV64E base (16 integer registers).</summary>
    public const uint EfRiscVRve = 0x8;

    /// <summary>RISC-V e_flags: the floating-point ABI field (0 soft, 2 single, 4 double, 6 quad).</summary>
    public const uint EfRiscVFloatAbi = 0x6;

    /// <summary>The CPU family in words: "RISC-V", "ARM", "AArch64", or "machine 62" when MemGate does not know it.</summary>
    public string MachineName => NameOf(Machine);

    /// <summary>The ELF constant's name: "EM_RISCV", or "e_machine 62".</summary>
    public string MachineConstant => ConstantOf(Machine);

    /// <summary>The family of e_machine <paramref name="machine"/> in words.</summary>
    public static string NameOf(ushort machine) => machine switch
    {
        EmArm => "ARM",
        EmAarch64 => "AArch64",
        EmRiscV => "RISC-V",
        EmAvr => "AVR",
        EmXtensa => "Xtensa",
        // Others MemGate runs nothing for, named so a wrong file is recognised (a host program: x86-64).
        3 => "x86",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "64-bit PowerPC",
        62 => "x86-64",
        105 => "MSP430",
        _ => $"machine {machine}",
    };

    /// <summary>The ELF constant naming e_machine <paramref name="machine"/>.</summary>
    public static string ConstantOf(ushort machine) => machine switch
    {
        EmArm => "EM_ARM",
        EmAarch64 => "EM_AARCH64",
        EmRiscV => "EM_RISCV",
        EmAvr => "EM_AVR",
        EmXtensa => "EM_XTENSA",
        3 => "EM_386",
        8 => "EM_MIPS",
        20 => "EM_PPC",
        21 => "EM_PPC64",
        62 => "EM_X86_64",
        105 => "EM_MSP430",
        _ => $"e_machine {machine}",
    };

    /// <summary>For messages: "32-bit RISC-V ELF (EM_RISCV, ELFCLASS32)", with "big-endian" when it is.</summary>
    public override string ToString() =>
        $"{ClassBits}-bit {(ByteOrder == ByteOrder.BigEndian ? "big-endian " : "")}{MachineName} ELF ({MachineConstant}, ELFCLASS{ClassBits}{(ByteOrder == ByteOrder.BigEndian ? ", ELFDATA2MSB" : "")})";
}
