namespace MemGate.Devices;

/// <summary>What a device region is. Names match the config files' <c>type</c> values in lower case.</summary>
public enum DeviceRegionType
{
    /// <summary>Read-write memory.</summary>
    Ram,

    /// <summary>Program flash: firmware reads and executes it; loaders write it.</summary>
    Flash,

    /// <summary>Mask ROM or boot ROM.</summary>
    Rom,

    /// <summary>Peripheral registers.</summary>
    Mmio,

    /// <summary>Non-volatile data storage such as EEPROM.</summary>
    Storage,

    /// <summary>A second view of another region (a mirror, or a Cortex-M bit-band alias).</summary>
    Alias,

    /// <summary>CPU registers mapped into memory (the AVR register file).</summary>
    Registers,
}
