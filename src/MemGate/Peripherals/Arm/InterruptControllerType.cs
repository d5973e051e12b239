using MemGate.Memory;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The first words of the System Control Space at 0xE000E000 (ARMv7-M B3.4.2, B3.2.2): ICTR, whose INTLINESNUM says
/// how many groups of 32 interrupt lines the NVIC implements (RTOSes size their tables from it), and ACTLR, which reads
/// 0 and ignores writes (its bits only turn off the core's write buffer, folding and interruptible multi-cycle
/// instructions: timing an emulator does not have). The other words are reserved: read as zero, writes ignored.
/// Nothing here holds state.
/// </summary>
/// <param name="lines">The NVIC's external interrupt lines.</param>
public sealed class InterruptControllerType(int lines) : IQuietReads
{
    /// <summary>Bytes the block spans.</summary>
    public const ulong Size = 0x10;

    private const ulong IctrOffset = 0x4;

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        ulong word = (offset & ~3UL) == IctrOffset ? (ulong)((lines + 31) / 32 - 1) : 0;
        return (word >> (int)(8 * (offset & 3))) & (size >= 4 ? 0xFFFF_FFFFUL : (1UL << (8 * size)) - 1);
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
    }

    /// <inheritdoc/>
    public bool ReadsQuietly(ulong offset, ulong length) => true;
}
