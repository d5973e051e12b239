namespace MemGate.Memory;

/// <summary>Byte order of multi-byte values in guest memory.</summary>
public enum ByteOrder : byte
{
    /// <summary>Least significant byte first (ARM Cortex-M, RISC-V, AVR, x86).</summary>
    LittleEndian,

    /// <summary>Most significant byte first.</summary>
    BigEndian,
}
