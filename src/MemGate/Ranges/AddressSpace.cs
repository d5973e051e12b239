using System.Numerics;

namespace MemGate.Ranges;

/// <summary>
/// Page-granular bookkeeping of a virtual address range, as libmmap's <c>AddrSpace</c>: which pages
/// are mapped, with what protection, flags and file backing. It never calls the OS; the effects
/// (munmap, mprotect) are the caller's, through <see cref="MapUpdateCallback"/>s.
/// </summary>
/// <remarks>
/// <para>Addresses are bytes at the API and pages inside. Mappings live in one <see cref="RangeMap{TValue}"/>
/// whose longest-gap augmentation lets <see cref="MapAny"/> find the lowest fitting gap in O(log n)
/// instead of scanning (libmmap's first-fit scan is quadratic); the free space is what lies between the
/// mappings, so no second structure has to follow every change. <see cref="UnmapNonOriginal"/> visits
/// only subtrees that hold non-original mappings.</para>
/// <para>File offsets are kept as "offset minus address" so that splitting a file mapping keeps each
/// piece's offset right and two pieces of one contiguous file mapping coalesce again.</para>
/// <para>Every argument is checked: unaligned addresses, zero lengths, ranges that leave the space or
/// overflow 64 bits throw <see cref="ArgumentException"/>; the space's end is at most 2^64 − 1, so
/// no end address or length ever wraps. Not thread safe.</para>
/// <example><code>
/// var space = new AddressSpace(0x10000, 0x100000, 4096);
/// ulong p = space.MapAny(4096, MapInfo.Anonymous(protection: 1));
/// space.Unmap(p, 4096, (address, length, previous) => { /* real munmap here */ });
/// </code></example>
/// </remarks>
public sealed class AddressSpace
{
    private readonly RangeMap<MapInfo> _mappings = new(flagOf: static info => !info.Original, indexGaps: true);
    private List<RangeEntry<MapInfo>>? _spareList; // reused by CollectPieces unless a callback re-enters
    private readonly int _pageShift;
    private readonly ulong _pageMask;
    private readonly ulong _basePage;
    private readonly ulong _endPage;

    /// <summary>Creates the bookkeeping for [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) (libmmap's <c>init</c>).</summary>
    /// <param name="start">First byte of the space; a multiple of <paramref name="pageSize"/>.</param>
    /// <param name="length">Size of the space in bytes, rounded up to whole pages.</param>
    /// <param name="pageSize">A power of two.</param>
    public AddressSpace(ulong start, ulong length, ulong pageSize)
    {
        if (pageSize == 0 || !BitOperations.IsPow2(pageSize))
        {
            throw new ArgumentException($"Page size {pageSize} is not a power of two.", nameof(pageSize));
        }
        _pageShift = BitOperations.TrailingZeroCount(pageSize);
        _pageMask = pageSize - 1;
        if ((start & _pageMask) != 0)
        {
            throw new ArgumentException($"Space start 0x{start:X} is not aligned to the page size 0x{pageSize:X}.", nameof(start));
        }
        if (length == 0)
        {
            throw new ArgumentException("The address space must not be empty.", nameof(length));
        }
        ulong pages = PagesFor(length);
        ulong startPage = start >> _pageShift;
        ulong maxPages = (ulong.MaxValue >> _pageShift) - startPage; // end byte address stays below 2^64
        if (pages > maxPages)
        {
            throw new ArgumentOutOfRangeException(nameof(length),
                $"Space [0x{start:X}, +0x{length:X}) runs past the end of the 64-bit address range.");
        }
        _basePage = startPage;
        _endPage = startPage + pages;
        PageSize = pageSize;
        Reset();
    }

    /// <summary>First byte of the space.</summary>
    public ulong Start => _basePage << _pageShift;

    /// <summary>Length of the space in bytes (whole pages).</summary>
    public ulong Length => (_endPage - _basePage) << _pageShift;

    /// <summary>The page size in bytes.</summary>
    public ulong PageSize { get; }

    /// <summary>Number of mapping entries after coalescing.</summary>
    public int MappingCount => _mappings.Count;

    /// <summary>Number of free gaps (counted by a walk over the mappings: O(n)).</summary>
    public int GapCount
    {
        get
        {
            int count = 0;
            foreach (var _ in Gaps)
            {
                count++;
            }
            return count;
        }
    }

    /// <summary>Drops every mapping (libmmap's <c>reset</c>). No callbacks are made.</summary>
    public void Reset()
    {
        _mappings.Clear();
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes (rounded up to pages) at the lowest free gap that fits,
    /// or at <paramref name="hint"/> when it is aligned and free. Returns the byte address.
    /// </summary>
    /// <exception cref="OutOfAddressSpaceException">No gap is large enough.</exception>
    public ulong MapAny(ulong length, MapInfo info, ulong hint = 0)
    {
        if (length == 0)
        {
            throw new ArgumentException("Cannot map zero bytes.", nameof(length));
        }
        ulong pages = PagesFor(length);
        if (hint != 0 && (hint & _pageMask) == 0)
        {
            ulong hintPage = hint >> _pageShift;
            if (hintPage >= _basePage && hintPage < _endPage && pages <= _endPage - hintPage
                && !_mappings.Overlaps(hintPage, hintPage + pages))
            {
                Insert(hintPage, hintPage + pages, info);
                return hint;
            }
        }
        if (!FindFirstGap(pages, out ulong gapStart))
        {
            throw new OutOfAddressSpaceException(length, Start, Length);
        }
        Insert(gapStart, gapStart + pages, info);
        return gapStart << _pageShift;
    }

    /// <summary>
    /// Maps [<paramref name="address"/>, +<paramref name="length"/>) replacing whatever was there;
    /// <paramref name="onOverwritten"/> is told about each piece of an earlier mapping that is replaced.
    /// </summary>
    public void MapAt(ulong address, ulong length, MapInfo info, MapUpdateCallback? onOverwritten = null)
    {
        var (start, end) = CheckedPages(address, length, nameof(MapAt));
        ReportPieces(start, end, onOverwritten);
        Insert(start, end, info);
    }

    /// <summary>Unmaps every page in [<paramref name="address"/>, +<paramref name="length"/>); <paramref name="onUnmapped"/> hears of each mapped piece.</summary>
    public void Unmap(ulong address, ulong length, MapUpdateCallback? onUnmapped = null)
    {
        var (start, end) = CheckedPages(address, length, nameof(Unmap));
        ReportPieces(start, end, onUnmapped);
        _mappings.Remove(start, end);
    }

    /// <summary>
    /// Changes the protection of the mapped pages in [<paramref name="address"/>, +<paramref name="length"/>);
    /// holes stay holes. <paramref name="onChanged"/> hears of each piece with its previous information.
    /// </summary>
    public void Protect(ulong address, ulong length, int protection, MapUpdateCallback? onChanged = null)
    {
        var (start, end) = CheckedPages(address, length, nameof(Protect));
        var pieces = CollectPieces(start, end);
        foreach (var piece in pieces)
        {
            onChanged?.Invoke(piece.Start << _pageShift, piece.Length << _pageShift, ToPublic(piece.Value, piece.Start));
        }
        foreach (var piece in pieces)
        {
            if (piece.Value.Protection != protection)
            {
                _mappings.Insert(piece.Start, piece.End, piece.Value with { Protection = protection });
            }
        }
        ReturnPieces(pieces);
    }

    /// <summary>The mapping information of the page holding <paramref name="address"/>; false when unmapped or outside the space.</summary>
    public bool QueryPage(ulong address, out MapInfo info)
    {
        ulong page = address >> _pageShift;
        if (page >= _basePage && page < _endPage && _mappings.TryFind(page, out var entry))
        {
            info = ToPublic(entry.Value, page);
            return true;
        }
        info = default;
        return false;
    }

    /// <summary>Marks every current mapping as original (libmmap's <c>mark_original</c>).</summary>
    public void MarkOriginal() => _mappings.UpdateAll(static info => info with { Original = true });

    /// <summary>
    /// Unmaps every mapping made since <see cref="MarkOriginal"/>, restoring the original layout;
    /// <paramref name="onUnmapped"/> hears of each piece. O(k log n) for k such mappings.
    /// </summary>
    public void UnmapNonOriginal(MapUpdateCallback? onUnmapped = null)
    {
        foreach (var entry in _mappings.GetFlagged())
        {
            onUnmapped?.Invoke(entry.Start << _pageShift, entry.Length << _pageShift, ToPublic(entry.Value, entry.Start));
            _mappings.Remove(entry.Start, entry.End);
        }
    }

    /// <summary>The mappings in address order, as byte ranges.</summary>
    public IEnumerable<RangeEntry<MapInfo>> Mappings
    {
        get
        {
            foreach (var entry in _mappings)
            {
                yield return new RangeEntry<MapInfo>(entry.Start << _pageShift, entry.End << _pageShift, ToPublic(entry.Value, entry.Start));
            }
        }
    }

    /// <summary>The free byte ranges in address order.</summary>
    public IEnumerable<(ulong Start, ulong End)> Gaps
    {
        get
        {
            ulong cursor = _basePage;
            foreach (var entry in _mappings)
            {
                if (entry.Start > cursor)
                {
                    yield return (cursor << _pageShift, entry.Start << _pageShift);
                }
                cursor = entry.End;
            }
            if (cursor < _endPage)
            {
                yield return (cursor << _pageShift, _endPage << _pageShift);
            }
        }
    }

    internal void Validate() => _mappings.Validate();

    private void Insert(ulong start, ulong end, MapInfo info) => _mappings.Insert(start, end, ToStored(info, start));

    // First fit in page numbers: the space before the first mapping, the lowest gap between mappings
    // (from the map's gap index), then the space after the last mapping.
    private bool FindFirstGap(ulong pages, out ulong start)
    {
        if (_mappings.IsEmpty)
        {
            start = _basePage;
            return pages <= _endPage - _basePage;
        }
        if (_mappings.FirstStart - _basePage >= pages)
        {
            start = _basePage;
            return true;
        }
        if (_mappings.FindFirstGap(pages, out start, out _))
        {
            return true;
        }
        start = _mappings.LastEnd;
        return _endPage - start >= pages;
    }

    private void ReportPieces(ulong start, ulong end, MapUpdateCallback? callback)
    {
        if (callback is null)
        {
            return;
        }
        // Collected first so a callback that touches this space does not disturb the walk.
        var pieces = CollectPieces(start, end);
        foreach (var piece in pieces)
        {
            callback(piece.Start << _pageShift, piece.Length << _pageShift, ToPublic(piece.Value, piece.Start));
        }
        ReturnPieces(pieces);
    }

    // The stored (offset-biased) values of the mapped parts of [start, end), trimmed to it.
    private List<RangeEntry<MapInfo>> CollectPieces(ulong start, ulong end)
    {
        var pieces = _spareList ?? new List<RangeEntry<MapInfo>>();
        _spareList = null;
        for (int n = _mappings.FirstEndingAfterInternal(start); n != -1 && _mappings.StartAt(n) < end; n = _mappings.SuccessorInternal(n))
        {
            var e = _mappings.EntryAt(n);
            pieces.Add(new RangeEntry<MapInfo>(Math.Max(e.Start, start), Math.Min(e.End, end), e.Value));
        }
        return pieces;
    }

    private void ReturnPieces(List<RangeEntry<MapInfo>> pieces)
    {
        pieces.Clear();
        _spareList = pieces;
    }

    private ulong PagesFor(ulong length) => (length >> _pageShift) + ((length & _pageMask) != 0 ? 1UL : 0UL);

    private (ulong Start, ulong End) CheckedPages(ulong address, ulong length, string operation)
    {
        if (length == 0)
        {
            throw new ArgumentException($"{operation}: zero-length range at 0x{address:X}.", nameof(length));
        }
        if ((address & _pageMask) != 0)
        {
            throw new ArgumentException($"{operation}: address 0x{address:X} is not aligned to the page size 0x{PageSize:X}.", nameof(address));
        }
        ulong start = address >> _pageShift;
        ulong pages = PagesFor(length);
        if (start < _basePage || start >= _endPage || pages > _endPage - start)
        {
            throw new ArgumentOutOfRangeException(nameof(address),
                $"{operation}: range [0x{address:X}, +0x{length:X}) is outside the address space [0x{Start:X}, +0x{Length:X}).");
        }
        return (start, start + pages);
    }

    // File offsets are stored relative to the address so splits keep them right (see remarks).
    private MapInfo ToStored(MapInfo info, ulong page) =>
        info.Fd < 0 ? info : info with { Offset = unchecked(info.Offset - (long)(page << _pageShift)) };

    private MapInfo ToPublic(MapInfo stored, ulong page) =>
        stored.Fd < 0 ? stored : stored with { Offset = unchecked(stored.Offset + (long)(page << _pageShift)) };
}
