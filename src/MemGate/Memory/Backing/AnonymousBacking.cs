using MemGate.Native;

namespace MemGate.Memory.Backing;

/// <summary>
/// Private anonymous memory mapped with MAP_NORESERVE: reserving gigabytes is instant and a page costs
/// resident memory only once it is touched.
/// </summary>
public sealed class AnonymousBacking : HostBacking
{
    private AnonymousBacking(SafeMmapHandle mapping, ulong guard, ulong length) : base(mapping, guard, length)
    {
    }

    /// <summary>Reserves <paramref name="length"/> bytes (rounded up to pages) between two guard pages, all PROT_NONE until committed.</summary>
    public static AnonymousBacking Reserve(ulong length)
    {
        ulong size = Libc.RoundUpToPage(length);
        ulong guard = (ulong)Libc.PageSize;
        var mapping = SafeMmapHandle.Map(checked(size + 2 * guard), Libc.ProtNone,
            Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
        return new AnonymousBacking(mapping, guard, size);
    }
}
