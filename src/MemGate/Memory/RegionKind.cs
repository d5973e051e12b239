namespace MemGate.Memory;

/// <summary>What a region is. Plain memory kinds are backed by host memory; MMIO is served by a handler.</summary>
public enum RegionKind
{
    /// <summary>Read-write memory (SRAM, DRAM).</summary>
    Ram,

    /// <summary>Program flash: written by loaders, normally read/execute for the guest.</summary>
    Flash,

    /// <summary>Mask ROM or boot ROM.</summary>
    Rom,

    /// <summary>Peripheral registers: every access goes to an <see cref="IMmioHandler"/>.</summary>
    Mmio,

    /// <summary>Non-volatile data memory (EEPROM, data flash).</summary>
    Storage,
}
