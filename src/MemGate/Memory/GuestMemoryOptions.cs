using MemGate.Memory.Backing;

namespace MemGate.Memory;

/// <summary>How a <see cref="GuestMemory"/> is laid out.</summary>
public sealed record GuestMemoryOptions
{
    /// <summary>Address width in bits, 8 to 64. Up to 32 bits the whole space is one host reservation.</summary>
    public int AddressWidth { get; init; } = 32;

    /// <summary>Byte order of the guest's multi-byte values.</summary>
    public ByteOrder ByteOrder { get; init; } = ByteOrder.LittleEndian;

    /// <summary>The address space this memory is (regions must name the same one).</summary>
    public int Space { get; init; }

    /// <summary>Where host memory comes from; anonymous memory by default.</summary>
    public IBackingProvider BackingProvider { get; init; } = AnonymousBackingProvider.Instance;

    /// <summary>Use the sorted region table even for a space of 32 bits or less (the 64-bit path).</summary>
    public bool ForceRegionTable { get; init; }
}
