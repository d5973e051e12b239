namespace MemGate.Ranges;

/// <summary>
/// What an <see cref="AddressSpace"/> records for a mapped page, as libmmap's <c>MapInfo</c>:
/// protection and flags as the caller's mmap would take them (PROT_*, MAP_*), the file descriptor
/// (-1 for anonymous memory), the file offset of this page's range, and whether the mapping was
/// present when <see cref="AddressSpace.MarkOriginal"/> was called.
/// </summary>
public readonly record struct MapInfo(int Protection, int Flags = 0, int Fd = -1, long Offset = 0, bool Original = false)
{
    /// <summary>Anonymous memory with the given protection.</summary>
    public static MapInfo Anonymous(int protection, int flags = 0) => new(protection, flags);

    /// <inheritdoc />
    public override string ToString() =>
        $"prot {Protection} flags 0x{Flags:X} fd {Fd} offset 0x{Offset:X}{(Original ? " original" : "")}";
}
