using MemGate.Memory;
using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Snapshots;

/// <summary>
/// Flash and ROM that several machines running the same firmware keep once: the first machine's pages of
/// each read-only area go into a sealed memfd, and every machine whose area holds the same bytes maps that
/// memfd copy-on-write over its own host pages, so N fuzzing workers hold one copy of their firmware in RAM.
/// A write that still reaches such a page (a loader, a debugger) lands in the machine's private copy of it,
/// never in the shared one, and snapshots taken afterwards use the memfd as their copy of the area.
/// </summary>
/// <remarks>
/// An area is shared when every region in it is flash or ROM the guest cannot write and its bytes are those
/// the first machine shared; any other area stays as it is. Dispose this after the machines that use it.
/// </remarks>
public sealed unsafe class SharedFlash : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Area> _areas = new(StringComparer.Ordinal);
    private bool _disposed;

    // One shared area: the sealed memfd, a read-only view of it to compare machines' bytes with, and the pages holding data.
    private sealed record Area(SafeFileHandle File, SafeMmapHandle View, IReadOnlyList<(ulong Start, ulong Length)> Stored);

    /// <summary>Areas shared so far (one per distinct read-only area).</summary>
    public int AreaCount
    {
        get
        {
            lock (_lock)
            {
                return _areas.Count;
            }
        }
    }

    /// <summary>Bytes of firmware held once for all machines (the pages of the shared areas that hold data).</summary>
    public ulong SharedBytes
    {
        get
        {
            lock (_lock)
            {
                return _areas.Values.Aggregate(0UL, (sum, area) => sum + area.Stored.Aggregate(0UL, (s, run) => s + run.Length));
            }
        }
    }

    /// <summary>
    /// Maps <paramref name="memory"/>'s read-only areas from the shared copies (making them on first use) and
    /// returns them as baselines for a later snapshot. Areas already mapped from a file (<paramref name="mapped"/>)
    /// are left alone: their pages are shared through the page cache already. Call before the memory's snapshot is taken.
    /// </summary>
    internal IReadOnlyList<SnapshotBaseline> Share(GuestMemory memory, IReadOnlyList<SnapshotBaseline> mapped)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var regions = memory.Regions.Where(r => r.HasHostMemory).ToArray();
        var hosts = regions.Select(r => memory.TryFindHost(r.Start, out nint host) ? host : 0).ToArray();
        var baselines = new List<SnapshotBaseline>();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (host, length) in GuestSnapshot.PageRuns(memory, regions))
            {
                var inside = regions.Where((r, i) => hosts[i] != 0 && hosts[i] >= host && hosts[i] < host + (nint)length).ToArray();
                if (inside.Length == 0 || mapped.Any(b => b.Host == host) ||
                    !inside.All(r => r.Kind is RegionKind.Flash or RegionKind.Rom && (r.Permissions & Permissions.Write) == 0))
                {
                    continue;
                }
                var bytes = new ReadOnlySpan<byte>((void*)host, checked((int)length));
                string key = $"{length}:" + string.Join(",", inside.Select(r => $"{r.Name}@{r.Start.Value:x}+{r.Size:x}"));
                if (!_areas.TryGetValue(key, out var area))
                {
                    _areas[key] = area = Create(bytes);
                }
                else if (!bytes.SequenceEqual(new ReadOnlySpan<byte>((void*)area.View.Pointer, bytes.Length)))
                {
                    continue;   // another firmware: this machine keeps its own pages
                }
                // Same bytes: replace the machine's pages by the shared ones (same address, so the engine's pointers stay valid).
                Libc.MmapOrThrow(host, length, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapFixed, (int)area.File.DangerousGetHandle());
                // The snapshot opens the memfd again through /proc (a new description of the same memfd), while this object keeps it open.
                baselines.Add(new SnapshotBaseline(host, length, $"/proc/self/fd/{area.File.DangerousGetHandle()}", 0, area.Stored));
            }
        }
        return baselines;
    }

    /// <summary>Closes the shared copies (machines that mapped them keep their mappings).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var area in _areas.Values)
            {
                area.View.Dispose();
                area.File.Dispose();
            }
            _areas.Clear();
        }
    }

    // A sealed memfd holding the pages of `bytes` that are not all zero (the others stay holes).
    private static Area Create(ReadOnlySpan<byte> bytes)
    {
        ulong length = (ulong)bytes.Length;
        var file = FileDescriptors.CreateMemfd("memgate shared flash", length, sealable: true);
        try
        {
            var stored = new List<(ulong Start, ulong Length)>();
            using (var writer = SafeMmapHandle.Map(length, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, fd: (int)file.DangerousGetHandle()))
            {
                int page = Libc.PageSize;
                for (int at = 0; at < bytes.Length; at += page)
                {
                    var chunk = bytes.Slice(at, page);
                    if (!chunk.ContainsAnyExcept((byte)0))
                    {
                        continue;
                    }
                    chunk.CopyTo(new Span<byte>((void*)(writer.Pointer + at), page));
                    if (stored.Count > 0 && stored[^1].Start + stored[^1].Length == (ulong)at)
                    {
                        stored[^1] = (stored[^1].Start, stored[^1].Length + (ulong)page);
                    }
                    else
                    {
                        stored.Add(((ulong)at, (ulong)page));
                    }
                }
            }
            FileDescriptors.SealContents(file);   // after the writable mapping is gone: sealing refuses while one exists
            return new Area(file, SafeMmapHandle.Map(length, Libc.ProtRead, Libc.MapShared, fd: (int)file.DangerousGetHandle()), stored);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
