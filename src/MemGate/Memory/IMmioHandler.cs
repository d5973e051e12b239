namespace MemGate.Memory;

/// <summary>
/// Serves the accesses to an MMIO region. Offsets are from the region's start; <c>size</c> is 1, 2, 4
/// or 8 and the access is naturally aligned (the memory splits other accesses, see
/// <see cref="GuestMemory"/>). Values are numbers; the memory converts them to and from the guest's byte order.
/// </summary>
public interface IMmioHandler
{
    /// <summary>Reads <paramref name="size"/> bytes at <paramref name="offset"/>.</summary>
    ulong Read(ulong offset, int size);

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/> at <paramref name="offset"/>.</summary>
    void Write(ulong offset, int size, ulong value);
}
