using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Snapshots;

/// <summary>
/// A snapshot of a <see cref="GuestMemory"/>'s RAM, flash and ROM that restores in time proportional to
/// the pages written since: the kernel tracks writes (userfaultfd asynchronous write protection, so
/// writes made by a CPU engine straight into the host pages count too) and <see cref="Restore"/> copies
/// back only those pages. Taking a snapshot copies only the pages that hold data (present or swapped),
/// into sparse memfds. Peripheral (MMIO) state is not part of it, and writes another process makes
/// through its own mapping of shared guest memory are not tracked (the kernel tracks this process's page tables).
/// </summary>
/// <remarks>Needs Linux 6.7 or later and userfaultfd permission; otherwise <see cref="Take(GuestMemory)"/> throws <see cref="NotSupportedException"/> saying so.</remarks>
public sealed unsafe class GuestSnapshot : IDisposable
{
    private const int ScanBatch = 256;
    private readonly GuestMemory _memory;
    private readonly GuestRegion[] _regions;
    private readonly object?[] _mappings;   // each region's mapping when taken: a region removed and added again has new memory
    private readonly Area[] _areas;
    private readonly SafeFileHandle _tracker;
    private readonly SafeFileHandle _pagemap;
    private readonly DirtyTracking.PageRegion[] _scan = new DirtyTracking.PageRegion[ScanBatch];
    private readonly List<(ulong Offset, ulong Length)> _written = [];   // the runs the walk found written (scratch)
    private readonly List<(ulong Offset, ulong Length)> _unchanged = [];   // writable pages found as at the snapshot (scratch)
    private List<ulong> _stillWritable = [];   // scratch for an area's next Writable
    private readonly WriteWitness? _witness;
    private readonly List<nint> _witnessed = [];   // the witness's pages (scratch)
    private bool _disposed;

    // One run of host pages (regions sharing pages are merged) and the copy of its contents.
    private sealed class Area(nint host, ulong length, SafeFileHandle file, SafeMmapHandle copy)
    {
        public nint Host { get; } = host;
        public ulong Length { get; } = length;
        public SafeFileHandle File { get; } = file;
        public SafeMmapHandle Copy { get; } = copy;

        // Pages (offsets, ascending) the last restore copied back and left writable: see Restore.
        public List<ulong> Writable { get; set; } = [];

        // Pages restores from a witness's list found written since the last walk (left writable, as they are): a walk
        // compares them as it does Writable's, instead of counting and copying them as written.
        public HashSet<ulong> WitnessedWritable { get; } = [];
    }

    private GuestSnapshot(GuestMemory memory, GuestRegion[] regions, Area[] areas, SafeFileHandle tracker, SafeFileHandle pagemap, WriteWitness? witness)
    {
        _witness = witness;
        _memory = memory;
        _regions = regions;
        _mappings = [.. regions.Select(memory.MappingOf)];
        _areas = areas;
        _tracker = tracker;
        _pagemap = pagemap;
    }

    /// <summary>Bytes the snapshot holds (pages that had data when it was taken).</summary>
    public ulong StoredBytes { get; private set; }

    /// <summary>Takes a snapshot of every region with host memory and starts tracking writes to them. Nothing may write the memory meanwhile (a stopped machine).</summary>
    /// <exception cref="NotSupportedException">The kernel cannot track writes (older than 6.7, or userfaultfd not allowed).</exception>
    /// <exception cref="InvalidOperationException">Another snapshot of this memory is still alive: one tracks a memory at a time.</exception>
    public static GuestSnapshot Take(GuestMemory memory) => Take(memory, [], null);

    /// <summary>
    /// As <see cref="Take(GuestMemory)"/>, with the memory's writes reported to <paramref name="witness"/> while the
    /// snapshot lives: a restore then copies back the pages it lists, without walking the page table, unless a writer
    /// said it could not report (<see cref="WriteWitness.Unwitnessed"/>). Every writer must be MemGate's (see
    /// <see cref="WriteWitness"/>); a CPU engine writing the memory must report to the same witness.
    /// </summary>
    public static GuestSnapshot Take(GuestMemory memory, WriteWitness witness)
    {
        ArgumentNullException.ThrowIfNull(witness);
        return Take(memory, [], witness);
    }

    /// <summary>As <see cref="Take(GuestMemory, WriteWitness)"/>, for memory of which parts are mapped from snapshot files (their pages start as the file's).</summary>
    internal static GuestSnapshot Take(GuestMemory memory, IReadOnlyList<SnapshotBaseline> baselines, WriteWitness? witness)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ObjectDisposedException.ThrowIf(memory.IsDisposed, memory);
        var regions = memory.Regions.Where(r => r.HasHostMemory).ToArray();
        var tracker = DirtyTracking.CreateWriteTracker();
        var pagemap = DirtyTracking.OpenPagemap();
        var areas = new List<Area>();
        try
        {
            foreach (var (host, length) in PageRuns(memory, regions))
            {
                if (baselines.FirstOrDefault(b => b.Host == host && b.Length == length) is { } baseline)
                {
                    // The copy starts as the file (private: what is copied in below never reaches it).
                    var mapped = File.OpenHandle(baseline.Path, FileMode.Open, FileAccess.Read);
                    areas.Add(new Area(host, length, mapped, SafeMmapHandle.Map(length, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate,
                        fd: (int)mapped.DangerousGetHandle(), offset: baseline.Offset)));
                    continue;
                }
                var file = FileDescriptors.CreateMemfd("memgate snapshot", length);
                areas.Add(new Area(host, length, file, SafeMmapHandle.Map(length, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, fd: (int)file.DangerousGetHandle())));
            }
            var snapshot = new GuestSnapshot(memory, regions, [.. areas], tracker, pagemap, witness);
            foreach (var area in snapshot._areas)
            {
                // An area mapped from a file starts as the file: only the pages written since (no longer the file's) are
                // copied, before the area is protected: protecting a file mapping puts a marker in every page it has not
                // faulted in yet, which the scan reports as swapped out (and would copy all of). Other areas are protected
                // first: shared memory (memfds) can hold data in pages this process never mapped, which only their
                // markers show.
                var baseline = baselines.FirstOrDefault(b => b.Host == area.Host && b.Length == area.Length);
                bool hugeZero = OnAnonymousHugePages(memory, regions, area.Host, area.Length);
                void Track()
                {
                    if (hugeZero)
                    {
                        MapHugeZeroPages(pagemap, snapshot._scan, area.Host, area.Length);   // (a file's area: its pages not from the file)
                    }
                    DirtyTracking.Track(tracker, area.Host, area.Length);
                }
                if (baseline is null)
                {
                    Track();
                }
                var stored = new List<(ulong Start, ulong Length)>(baseline?.Stored ?? []);
                void Copy(ulong at, ulong length)
                {
                    Buffer.MemoryCopy((void*)(area.Host + (nint)at), (void*)(area.Copy.Pointer + (nint)at), (long)length, (long)length);
                    stored.Add((at, length));
                }
                ForEachRun(pagemap, snapshot._scan, area.Host, area.Length, DirtyTracking.PageIsPresent | DirtyTracking.PageIsSwapped, (offset, size) =>
                {
                    if (baseline is null)
                    {
                        // Pages that read as zero need no copy where the copy starts as zeros (a memfd): with huge pages,
                        // most of a touched 2 MiB can be present and still zero. A copy that starts as a file needs them.
                        ForEachNonZeroRun(area.Host, offset, size, Copy);
                    }
                    else
                    {
                        Copy(offset, size);
                    }
                }, noneOf: baseline is null ? DirtyTracking.PageIsZeroPage : DirtyTracking.PageIsFile);   // the zero page (mapped just now into untouched memory) holds nothing to copy
                snapshot.StoredBytes += UnionBytes(stored);   // a page of the file written since counts once
                if (baseline is not null)
                {
                    Track();
                }
            }
            if (witness is not null)
            {
                memory.Witness = witness;
                witness.Restart();
            }
            return snapshot;
        }
        catch (NativeMemoryException e) when (e.Errno == DirtyTracking.AlreadyTracked)
        {
            Release();
            throw new InvalidOperationException($"the memory is already tracked by another snapshot that is still alive (a GuestSnapshot or a machine snapshot): " +
                "one snapshot tracks a memory at a time; dispose the other first.", e);
        }
        catch
        {
            Release();
            throw;
        }

        void Release()
        {
            foreach (var area in areas)
            {
                area.Copy.Dispose();
                area.File.Dispose();
            }
            tracker.Dispose();
            pagemap.Dispose();
        }
    }

    /// <summary>
    /// Bytes written since the snapshot or the last restore (whole pages), without restoring. Of the pages the last restore
    /// left writable (see <see cref="Restore"/>), and of all pages where a <see cref="WriteWitness"/> reports them, those
    /// that differ from the snapshot.
    /// </summary>
    public ulong DirtyBytes()
    {
        ThrowIfInvalid();
        ulong total = 0;
        ulong page = (ulong)Libc.PageSize;
        if (_witness is { Complete: true } witness)
        {
            // Of the pages reported written, those that differ (a restore copies no others).
            witness.CopyPages(_witnessed);
            foreach (var area in _areas)
            {
                var (first, end) = WitnessedIn(area);
                for (int i = first; i < end; i++)
                {
                    total += SameAsSnapshot(area, (ulong)(_witnessed[i] - area.Host)) ? 0 : page;
                }
            }
            return total;
        }
        foreach (var area in _areas)
        {
            _written.Clear();
            ForEachRun(area, DirtyTracking.PageIsWritten, (offset, size) => _written.Add((offset, size)));
            int next = 0;
            foreach (var (offset, size) in _written)
            {
                for (ulong at = offset; at < offset + size; at += page)
                {
                    bool leftWritable = WasLeftWritable(area.Writable, ref next, at) || area.WitnessedWritable.Contains(at);
                    if (!leftWritable || !SameAsSnapshot(area, at))
                    {
                        total += page;
                    }
                }
            }
        }
        return total;
    }

    /// <summary>
    /// Copies back the pages written since the snapshot (or the last restore) and tracks them again. Nothing may write the memory meanwhile (a stopped machine).
    /// </summary>
    /// <remarks>
    /// A page just copied back stays writable until a restore finds it as it was at the snapshot, and only then is
    /// protected again: a page written run after run (a stack, a fuzz target's buffers) costs neither a protect call
    /// (and TLB flush) per restore nor a write fault per run. The walk reports a writable page as written every time,
    /// so each restore compares those with the snapshot and copies back the ones that differ.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The memory's regions changed since the snapshot.</exception>
    public SnapshotRestore Restore()
    {
        ThrowIfInvalid();
        var clock = Stopwatch.StartNew();
        ulong page = (ulong)Libc.PageSize;
        ulong copied = 0;
        int ranges = 0;
        if (_witness is { Complete: true } witness)
        {
            witness.CopyPages(_witnessed);
            foreach (var area in _areas)
            {
                RestoreWitnessed(area, ref copied, ref ranges);
            }
            witness.Restart();
            return new SnapshotRestore(copied, ranges, clock.Elapsed, FromWitness: true);
        }
        foreach (var area in _areas)
        {
            _written.Clear();
            _unchanged.Clear();
            _stillWritable.Clear();
            long walkStart = Stopwatch.GetTimestamp();
            ulong writtenBytes = ForEachRun(area, DirtyTracking.PageIsWritten, (offset, size) => _written.Add((offset, size)));
            var walked = Stopwatch.GetElapsedTime(walkStart);
            bool streaming = Streaming ?? writtenBytes >= PageCopy.StreamingFrom;   // too many pages to stay cached: see PageCopy
            int next = 0;
            ulong copiedEnd = ulong.MaxValue;
            for (int run = 0; run < _written.Count; run++)
            {
                var (offset, size) = _written[run];
                for (ulong at = offset; at < offset + size; at += page)
                {
                    // The pages lie apart: start fetching the next one (and its page-table entries) while this one is
                    // compared and copied (1 % of 2 GiB: 4.5 ms without, 3.7 ms with; two pages ahead was no better).
                    if (Sse.IsSupported)
                    {
                        ulong ahead = at + page < offset + size ? at + page : run + 1 < _written.Count ? _written[run + 1].Offset : at;
                        Sse.Prefetch0((void*)(area.Copy.Pointer + (nint)ahead));
                        Sse.Prefetch0((void*)(area.Host + (nint)ahead));
                    }
                    if ((WasLeftWritable(area.Writable, ref next, at) || area.WitnessedWritable.Contains(at)) && SameAsSnapshot(area, at))
                    {
                        Extend(_unchanged, at, page);
                        continue;
                    }
                    PageCopy.Copy(area.Copy.Pointer + (nint)at, area.Host + (nint)at, page, streaming);
                    _stillWritable.Add(at);
                    copied++;
                    ranges += at == copiedEnd ? 0 : 1;
                    copiedEnd = at + page;
                }
            }
            PageCopy.Finish(streaming);
            // The pages found unchanged are protected again. One call per run costs about 1.7 µs each (a TLB flush
            // apiece); past a few hundred scattered runs a second walk of the area's page table, protecting every
            // writable page as it passes it (those just copied too), is cheaper (1 % of 2 GiB: 11 ms instead of 16, in C).
            if (ProtectByWalk ?? (_unchanged.Count > 0 && walked < TimeSpan.FromMicroseconds(ProtectCallMicroseconds * _unchanged.Count)))
            {
                DirtyTracking.ProtectWritten(_pagemap, (ulong)area.Host, (ulong)area.Host + area.Length);
                _stillWritable.Clear();
            }
            else
            {
                foreach (var (offset, size) in _unchanged)
                {
                    DirtyTracking.Protect(_tracker, area.Host + (nint)offset, size);
                }
            }
            (area.Writable, _stillWritable) = (_stillWritable, area.Writable);
            area.WitnessedWritable.Clear();   // this walk saw them all
        }
        _witness?.Restart();
        return new SnapshotRestore(copied, ranges, clock.Elapsed);
    }

    // A restore from the witness's list: only its pages can differ from the snapshot; those that do are copied back.
    // Protection is left as it is: a page written stays writable, and a later walk (when a run could not be witnessed)
    // finds it, compares it and protects it again as any other written page.
    private void RestoreWitnessed(Area area, ref ulong copied, ref int ranges)
    {
        ulong page = (ulong)Libc.PageSize;
        var (first, end) = WitnessedIn(area);
        bool streaming = Streaming ?? (ulong)(end - first) * page >= PageCopy.StreamingFrom;
        ulong copiedEnd = ulong.MaxValue;
        for (int i = first; i < end; i++)
        {
            ulong at = (ulong)(_witnessed[i] - area.Host);
            if (Sse.IsSupported && i + 1 < end)
            {
                Sse.Prefetch0((void*)(area.Copy.Pointer + (_witnessed[i + 1] - area.Host)));
                Sse.Prefetch0((void*)_witnessed[i + 1]);
            }
            area.WitnessedWritable.Add(at);
            if (SameAsSnapshot(area, at))
            {
                continue;
            }
            PageCopy.Copy(area.Copy.Pointer + (nint)at, area.Host + (nint)at, page, streaming);
            copied++;
            ranges += at == copiedEnd ? 0 : 1;
            copiedEnd = at + page;
        }
        PageCopy.Finish(streaming);
    }

    // The indices [first, end) of the witnessed pages (ascending) inside the area.
    private (int First, int End) WitnessedIn(Area area)
    {
        int first = _witnessed.BinarySearch(area.Host);
        first = first < 0 ? ~first : first;
        int end = first;
        while (end < _witnessed.Count && (ulong)(_witnessed[end] - area.Host) < area.Length)
        {
            end++;
        }
        return (first, end);
    }

    // Whether `at` is among the pages the last restore left writable (ascending; `next` walks them along with ascending `at`).
    // One the walk no longer reports (its entry zapped) is simply passed: it is tracked as any other page.
    private static bool WasLeftWritable(List<ulong> writable, ref int next, ulong at)
    {
        while (next < writable.Count && writable[next] < at)
        {
            next++;
        }
        return next < writable.Count && writable[next] == at;
    }

    private static bool SameAsSnapshot(Area area, ulong at) =>
        new ReadOnlySpan<byte>((void*)(area.Host + (nint)at), Libc.PageSize).SequenceEqual(new ReadOnlySpan<byte>((void*)(area.Copy.Pointer + (nint)at), Libc.PageSize));

    private static void Extend(List<(ulong Offset, ulong Length)> runs, ulong at, ulong length)
    {
        if (runs.Count > 0 && runs[^1].Offset + runs[^1].Length == at)
        {
            runs[^1] = (runs[^1].Offset, runs[^1].Length + length);
        }
        else
        {
            runs.Add((at, length));
        }
    }

    // What one UFFDIO_WRITEPROTECT call of a run costs here: (per-run restore - second-walk restore + second walk) / runs,
    // bench/uffd-latency.sh at 1 % of 2 GiB; see Restore.
    private const double ProtectCallMicroseconds = 1.7;

    /// <summary>For tests: protect restored pages again by a walk (true) or per run (false) instead of choosing by cost.</summary>
    internal bool? ProtectByWalk { get; set; }

    /// <summary>For tests: copy pages back with streaming stores (true) or ordinary ones (false) instead of choosing by size.</summary>
    internal bool? Streaming { get; set; }

    /// <summary>Stops tracking and frees the copy.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_witness is not null && ReferenceEquals(_memory.Witness, _witness))
        {
            _memory.Witness = null;
        }
        _tracker.Dispose();   // closing the userfaultfd ends the write protection
        _pagemap.Dispose();
        foreach (var area in _areas)
        {
            area.Copy.Dispose();
            area.File.Dispose();
        }
    }

    // Calls `run` for each run of pages of the area in the categories, walking the whole area; returns the bytes.
    private ulong ForEachRun(Area area, ulong categories, Action<ulong, ulong> run) => ForEachRun(_pagemap, _scan, area.Host, area.Length, categories, run);

    // Calls `run` (offset from host, length) for each run of pages of [host, host + length) in the categories
    // and in none of `noneOf`'s, walking the whole range in batches of `scan`; returns the bytes.
    internal static ulong ForEachRun(SafeFileHandle pagemap, Span<DirtyTracking.PageRegion> scan, nint host, ulong length, ulong categories, Action<ulong, ulong> run, ulong noneOf = 0)
    {
        ulong total = 0;
        ulong start = (ulong)host;
        ulong end = start + length;
        while (start < end)
        {
            int n = DirtyTracking.Scan(pagemap, start, end, categories, scan, out ulong walkEnd, noneOf);
            for (int i = 0; i < n; i++)
            {
                ulong size = scan[i].End - scan[i].Start;
                run(scan[i].Start - (ulong)host, size);
                total += size;
            }
            if (walkEnd <= start)
            {
                break;
            }
            start = walkEnd;
        }
        return total;
    }

    // The bytes the runs cover, overlaps counted once.
    private static ulong UnionBytes(List<(ulong Start, ulong Length)> runs)
    {
        runs.Sort();
        ulong total = 0, end = 0;
        foreach (var (start, length) in runs)
        {
            ulong from = Math.Max(start, end), to = start + length;
            if (to > from)
            {
                total += to - from;
                end = to;
            }
        }
        return total;
    }

    // Calls `run` (offset from host, length) for each run of pages inside [offset, offset + size) that holds a
    // non-zero byte; returns the bytes.
    internal static ulong ForEachNonZeroRun(nint host, ulong offset, ulong size, Action<ulong, ulong> run)
    {
        ulong page = (ulong)Libc.PageSize;
        ulong total = 0;
        ulong start = offset;
        ulong end = offset + size;
        while (start < end)
        {
            while (start < end && IsZero(host, start, page))
            {
                start += page;
            }
            ulong stop = start;
            while (stop < end && !IsZero(host, stop, page))
            {
                stop += page;
            }
            if (stop > start)
            {
                run(start, stop - start);
                total += stop - start;
            }
            start = stop;
        }
        return total;
    }

    private static bool IsZero(nint host, ulong offset, ulong page) =>
        !new ReadOnlySpan<byte>((void*)(host + (nint)offset), (int)page).ContainsAnyExcept((byte)0);

    private void ThrowIfInvalid()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_memory.IsDisposed, _memory);
        var now = _memory.Regions.Where(r => r.HasHostMemory).ToArray();
        var missing = _regions.Where((r, i) => _memory.MappingOf(r) != _mappings[i]).FirstOrDefault();   // removed, or removed and added again
        if (missing is not null || now.Length != _regions.Length)
        {
            string which = missing is not null ? $"region '{missing.Name}' was removed or changed" : "regions were added";
            throw new InvalidOperationException($"The guest memory changed since the snapshot ({which}); take a new snapshot.");
        }
    }

    // Whether the regions with host memory in [host, host + length) are all private anonymous memory on huge pages,
    // and a read fault there maps the shared huge zero page (where the kernel's use_zero_page is off, it would
    // allocate and zero 2 MiB of memory for each untouched chunk instead: the markers are the smaller cost then).
    private static bool OnAnonymousHugePages(GuestMemory memory, GuestRegion[] regions, nint host, ulong length) =>
        HugeZeroPage.Value && regions.All(r => !memory.TryFindHost(r.Start, out nint at) || at >= host + (nint)length || at + (nint)r.Size <= host
            || memory.BackingOf(r) is AnonymousBacking { HugePages: true });

    private static readonly Lazy<bool> HugeZeroPage = new(() =>
    {
        try
        {
            return File.ReadAllText("/sys/kernel/mm/transparent_hugepage/use_zero_page").Trim() == "1";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    });

    // Protecting memory never populated puts a marker into each of its 4 KiB entries (the kernel's asynchronous mode
    // implies UFFD_FEATURE_WP_UNPOPULATED): 4-7 ms for 2 GiB, and every restore then walks them (2.4 ms). A read of
    // one byte of each untouched 2 MiB maps the kernel's shared huge zero page there instead (no memory used), one
    // entry that protection marks and a scan passes in a step (2 GiB: protected in 56 µs, scanned in 30 µs); a first
    // write still splits it and shows as that 4 KiB page written. Chunks already holding pages are left as they are.
    private static void MapHugeZeroPages(SafeFileHandle pagemap, Span<DirtyTracking.PageRegion> scan, nint host, ulong length)
    {
        const ulong Huge = 2UL << 20;
        var populated = new List<(ulong Start, ulong End)>();
        ForEachRun(pagemap, scan, host, length, DirtyTracking.PageIsPresent | DirtyTracking.PageIsSwapped, (offset, size) => populated.Add((offset, offset + size)));
        ulong first = (((ulong)host + Huge - 1) & ~(Huge - 1)) - (ulong)host;
        int next = 0;
        using var gate = TransparentHugePages.Gate.EnterScope();   // not while another thread has huge pages off (engine set-up)
        for (ulong chunk = first; chunk + Huge <= length; chunk += Huge)
        {
            while (next < populated.Count && populated[next].End <= chunk)
            {
                next++;
            }
            if (next < populated.Count && populated[next].Start < chunk + Huge)
            {
                continue;   // holds pages already
            }
            _ = Volatile.Read(ref *(byte*)(host + (nint)chunk));
        }
    }

    // The page-aligned host runs of the regions, merged where regions share or touch pages.
    internal static List<(nint Host, ulong Length)> PageRuns(GuestMemory memory, GuestRegion[] regions)
    {
        ulong page = (ulong)Libc.PageSize;
        var runs = new List<(ulong Start, ulong End)>();
        foreach (var region in regions)
        {
            if (!memory.TryFindHost(region.Start, out nint host))
            {
                continue;
            }
            runs.Add(((ulong)host & ~(page - 1), Libc.RoundUpToPage((ulong)host + region.Size)));
        }
        runs.Sort();
        var merged = new List<(nint, ulong)>();
        for (int i = 0; i < runs.Count;)
        {
            var (start, end) = runs[i++];
            while (i < runs.Count && runs[i].Start <= end)
            {
                end = Math.Max(end, runs[i++].End);
            }
            merged.Add(((nint)start, end - start));
        }
        return merged;
    }
}
