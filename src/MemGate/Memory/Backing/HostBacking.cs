using MemGate.Native;

namespace MemGate.Memory.Backing;

/// <summary>
/// A range of host memory that backs guest memory. It starts inaccessible (PROT_NONE) apart from what
/// is committed, and it is surrounded by guard pages so a host-side overrun crashes cleanly instead of
/// corrupting a neighbour. Where the pages come from (anonymous memory, a memfd, a snapshot file) is
/// the subclass's business: this is the seam for shared and snapshot-backed memory.
/// </summary>
public abstract class HostBacking : IDisposable
{
    private readonly SafeMmapHandle _mapping; // the whole range including guard pages
    private readonly ulong _guard;

    /// <summary>Takes ownership of <paramref name="mapping"/>, whose first <paramref name="guardBytes"/> and whatever follows <paramref name="length"/> usable bytes (at least a page) stay PROT_NONE.</summary>
    private protected HostBacking(SafeMmapHandle mapping, ulong guardBytes, ulong length)
    {
        _mapping = mapping;
        _guard = guardBytes;
        Length = length;
    }

    /// <summary>First byte of the usable range.</summary>
    public nint Pointer => _mapping.Pointer + (nint)_guard;

    /// <summary>Usable length in bytes (whole host pages).</summary>
    public ulong Length { get; }

    /// <summary>Makes [offset, offset + length) readable and writable for the host (page-rounded outward).</summary>
    public virtual void Commit(ulong offset, ulong length)
    {
        var (start, size) = PageSpan(offset, length);
        Libc.MprotectOrThrow(Pointer + (nint)start, size, Libc.ProtRead | Libc.ProtWrite);
    }

    /// <summary>
    /// Drops the contents of the whole pages inside [offset, offset + length): they read as zero
    /// again and their host memory is released, but they stay mapped so a racing access is harmless.
    /// </summary>
    public void Discard(ulong offset, ulong length)
    {
        ulong page = (ulong)Libc.PageSize;
        ulong start = (offset + page - 1) & ~(page - 1);
        ulong end = Math.Min((offset + length) & ~(page - 1), Length);
        if (end > start && Libc.Madvise(Pointer + (nint)start, (nuint)(end - start), DiscardAdvice) != 0)
        {
            throw NativeMemoryException.FromErrno($"madvise({DiscardAdvice}, 0x{Pointer + (nint)start:x}, {end - start:N0} bytes)");
        }
    }

    /// <summary>The madvise that drops pages: MADV_DONTNEED zeroes private memory; shared memory needs its pages removed.</summary>
    private protected virtual int DiscardAdvice => Libc.MadvDontNeed;

    /// <summary>How many of the range's host pages are resident (mincore).</summary>
    public ulong ResidentBytes() => Libc.CountResidentPages(Pointer, Length) * (ulong)Libc.PageSize;

    /// <summary>Unmaps the host memory.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Unmaps the host memory; subclasses release what else they hold.</summary>
    protected virtual void Dispose(bool disposing) => _mapping.Dispose();

    private (ulong Start, ulong Size) PageSpan(ulong offset, ulong length)
    {
        if (length == 0 || offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"[0x{offset:X}, +0x{length:X}) is outside the backing of 0x{Length:X} bytes.");
        }
        ulong page = (ulong)Libc.PageSize;
        ulong start = offset & ~(page - 1);
        ulong end = Libc.RoundUpToPage(offset + length);
        return (start, end - start);
    }
}
