using MemGate.Memory;

namespace MemGate.Devices;

/// <summary>One memory region of a device description (plain data; <see cref="DeviceDescription"/> validates the set).</summary>
/// <param name="Name">Unique name within the device.</param>
/// <param name="Start">Guest address of the first byte.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Permissions">What the guest may do.</param>
/// <param name="Type">What kind of memory it is.</param>
/// <param name="Space">The name of the address space it lives in.</param>
public sealed record DeviceRegion(string Name, ulong Start, ulong Size, Permissions Permissions, DeviceRegionType Type, string Space)
{
    /// <summary>For aliases: the region viewed.</summary>
    public string? AliasOf { get; init; }

    /// <summary>For aliases: how the target is viewed.</summary>
    public AliasMode AliasMode { get; init; }

    /// <summary>A file whose bytes are the region's initial contents (relative to the device file).</summary>
    public string? InitFile { get; init; }

    /// <summary>For <see cref="DeviceRegionType.Registers"/> regions: the registers mapped, e.g. "R0-R31:1" (see <see cref="Devices.RegisterLayout"/>).</summary>
    public string? RegisterLayout { get; init; }

    /// <summary>Where in <see cref="InitFile"/> the region's contents start.</summary>
    public ulong FileOffset { get; init; }

    /// <summary>How many bytes of <see cref="InitFile"/> (from <see cref="FileOffset"/>) to take; null: the rest of the file, which must fit.</summary>
    public ulong? FileSize { get; init; }

    /// <summary>Where in the region the file's bytes go (0: at its start).</summary>
    public ulong LoadOffset { get; init; }

    /// <summary>For mmio regions: what accesses nothing models do here, overriding the device's <c>[memory] unmodelled</c>; null: the device's.</summary>
    public UnmodelledPolicy? Unmodelled { get; init; }

    /// <summary>Free text, for example the datasheet's name for the region.</summary>
    public string Description { get; init; } = "";

    /// <summary>The last address (inclusive); never wraps because validation rejects regions past 2^64.</summary>
    public ulong Last => Start + (Size - 1);
}
