namespace MemGate.Memory;

/// <summary>
/// The host pages written since a snapshot was taken or last restored, as the writers themselves report them: a
/// <see cref="GuestMemory"/>'s own write paths (its writes, atomics, accessors, debug view, and every span or pointer
/// it hands out, counted as written when handed out: the bytes the call checked, one for a pointer asked for without
/// a size) and a CPU engine that reports its stores. A
/// <see cref="Snapshots.GuestSnapshot"/> taken with one restores from this list instead of walking the kernel's page
/// table, whose cost grows with the memory's size (2 GiB: about 57 µs even with nothing written); it walks as
/// before whenever a writer could not report (<see cref="Unwitnessed"/>).
/// </summary>
/// <remarks>
/// Only for memory every writer of which is MemGate's: writes another process makes (shared memory), writes through
/// a span or pointer past the bytes asked for, and writes through one kept across a restore are not seen.
/// </remarks>
public sealed class WriteWitness
{
    private const int PageShift = 12;
    private readonly HashSet<ulong> _seen = [];
    private readonly List<ulong> _pages = [];
    private readonly Lock _lock = new();
    private ulong _lastPage = ulong.MaxValue;
    private bool _complete;

    /// <summary>Counts the restarts: a writer that caches write permission (a CPU engine's TLB) drops it when this changes.</summary>
    public int Epoch { get; private set; }

    /// <summary>Whether every write since the last restart was reported (false until a snapshot starts it).</summary>
    public bool Complete => Volatile.Read(ref _complete);

    /// <summary>Reports host bytes [<paramref name="host"/>, +<paramref name="length"/>) written (or about to be).</summary>
    public void Written(nint host, ulong length)
    {
        if (length == 0)
        {
            return;
        }
        ulong first = (ulong)host >> PageShift;
        ulong last = ((ulong)host + length - 1) >> PageShift;
        if (first == last && Volatile.Read(ref _lastPage) == first)
        {
            return;   // the common case: the page written last
        }
        lock (_lock)
        {
            for (ulong page = first; page <= last; page++)
            {
                if (_seen.Add(page))
                {
                    _pages.Add(page);
                }
            }
            Volatile.Write(ref _lastPage, last);
        }
    }

    /// <summary>Says that something wrote without reporting what (a CPU engine translating through the guest's own MMU): the next restore walks the page table.</summary>
    public void Unwitnessed() => Volatile.Write(ref _complete, false);

    /// <summary>Puts the host addresses of the pages written since the last restart into <paramref name="pages"/>, ascending.</summary>
    internal void CopyPages(List<nint> pages)
    {
        pages.Clear();
        lock (_lock)
        {
            _pages.Sort();
            foreach (ulong page in _pages)
            {
                pages.Add((nint)(page << PageShift));
            }
        }
    }

    /// <summary>Starts over with nothing written and every writer reporting: at a snapshot and after each restore.</summary>
    internal void Restart()
    {
        lock (_lock)
        {
            _seen.Clear();
            _pages.Clear();
            Volatile.Write(ref _lastPage, ulong.MaxValue);
            Volatile.Write(ref _complete, true);
            Epoch++;
        }
    }
}
