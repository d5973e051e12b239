namespace MemGate.Devices;

/// <summary>How an <see cref="DeviceRegionType.Alias"/> region views its target.</summary>
public enum AliasMode
{
    /// <summary>Byte for byte: the alias and its target are the same memory (boot aliases, mirrors).</summary>
    Mirror,

    /// <summary>Cortex-M bit-banding: each 32-bit word of the alias is one bit of the target, so the alias is 32 times its target's size.</summary>
    BitBand,
}
