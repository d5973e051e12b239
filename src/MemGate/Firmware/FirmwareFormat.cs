namespace MemGate.Firmware;

/// <summary>The image formats MemGate loads.</summary>
public enum FirmwareFormat
{
    /// <summary>ELF32 or ELF64, either byte order: PT_LOAD segments at their physical addresses.</summary>
    Elf,

    /// <summary>Intel HEX.</summary>
    IntelHex,

    /// <summary>Motorola S-record (S19/S28/S37).</summary>
    Srec,

    /// <summary>Raw bytes placed at an address given by the caller.</summary>
    Raw,
}
