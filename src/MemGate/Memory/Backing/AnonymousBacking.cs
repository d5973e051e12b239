using MemGate.Native;

namespace MemGate.Memory.Backing;

/// <summary>
/// Private anonymous memory mapped with MAP_NORESERVE: reserving gigabytes is instant and a page costs
/// resident memory only once it is touched. Committed ranges of 2 MiB or more are backed by transparent
/// huge pages where the kernel allows (madvise MADV_HUGEPAGE): a snapshot's write tracking then protects
/// and scans a 2 MiB as one page-table entry instead of 512 (one never touched too: it maps the shared huge
/// zero page there first), which is what makes restoring a few pages of gigabytes of RAM cheap. The price is resident memory in 2 MiB steps where the guest touches it.
/// </summary>
public sealed class AnonymousBacking : HostBacking
{
    private const ulong HugePage = 2UL << 20;

    private readonly bool _hugePages;

    private AnonymousBacking(SafeMmapHandle mapping, ulong guard, ulong length, bool hugePages) : base(mapping, guard, length) => _hugePages = hugePages;

    /// <summary>Whether committed ranges of 2 MiB or more are advised to use transparent huge pages.</summary>
    internal bool HugePages => _hugePages;

    /// <summary>
    /// Reserves <paramref name="length"/> bytes (rounded up to pages) between guard pages, all PROT_NONE until
    /// committed; with <paramref name="hugePages"/>, from 2 MiB up the usable range starts on a 2 MiB boundary
    /// and committed ranges are advised to use huge pages.
    /// </summary>
    public static AnonymousBacking Reserve(ulong length, bool hugePages = true)
    {
        ulong size = Libc.RoundUpToPage(length);
        ulong page = (ulong)Libc.PageSize;
        ulong slack = hugePages && size >= HugePage ? HugePage : 0;   // room to move the start to a 2 MiB boundary
        var mapping = SafeMmapHandle.Map(checked(size + 2 * page + slack), Libc.ProtNone,
            Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
        ulong first = (ulong)mapping.Pointer + page;
        ulong guard = slack == 0 ? page : page + ((HugePage - first % HugePage) % HugePage);
        return new AnonymousBacking(mapping, guard, size, hugePages);
    }

    /// <inheritdoc />
    public override void Commit(ulong offset, ulong length)
    {
        base.Commit(offset, length);
        ulong start = ((ulong)Pointer + offset + HugePage - 1) & ~(HugePage - 1);
        ulong end = ((ulong)Pointer + offset + length) & ~(HugePage - 1);
        if (end > start)
        {
            // A hint either way (a kernel without transparent huge pages refuses it, EINVAL, and the memory works as
            // before); turned off, it also keeps a system set to "always" from using huge pages here.
            _ = Libc.Madvise((nint)start, (nuint)(end - start), _hugePages ? Libc.MadvHugePage : Libc.MadvNoHugePage);
        }
    }
}
