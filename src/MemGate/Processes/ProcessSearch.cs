namespace MemGate.Processes;

/// <summary>A match of a search: where, and in which mapping.</summary>
/// <param name="Address">Address of the first byte.</param>
/// <param name="Region">The mapping holding it.</param>
public sealed record SearchMatch(ulong Address, ProcessRegion Region)
{
    /// <summary>Offset from the mapping's start.</summary>
    public ulong Offset => Address - Region.Start;
}

/// <summary>The outcome of a search: matches, and the mappings that could not be read.</summary>
/// <param name="Matches">Matches in address order.</param>
/// <param name="Skipped">Readable-looking mappings the kernel refused (guard pages, [vvar], device memory), with why.</param>
/// <param name="BytesScanned">Bytes read and searched.</param>
public sealed record SearchResult(IReadOnlyList<SearchMatch> Matches, IReadOnlyList<(ProcessRegion Region, string Reason)> Skipped, ulong BytesScanned);

/// <summary>
/// Searches a live process's memory: every readable mapping (or those whose path contains a filter)
/// is read with process_vm_readv in large chunks that overlap by the pattern's length minus one, so a
/// match across a chunk boundary is found once; mappings the kernel refuses are skipped and reported.
/// </summary>
public static class ProcessSearch
{
    /// <summary>Default chunk: large reads keep process_vm_readv near its bandwidth.</summary>
    public const int DefaultChunk = 8 << 20;

    /// <summary>Searches <paramref name="pid"/> for <paramref name="pattern"/>.</summary>
    /// <param name="pid">The process.</param>
    /// <param name="pattern">What to find.</param>
    /// <param name="regionFilter">Only mappings whose path contains this (case-insensitive), or whose class name equals it (heap, stack, anonymous, …).</param>
    /// <param name="max">Stop after this many matches.</param>
    /// <param name="chunk">Bytes per read (tests use small chunks to exercise the overlap).</param>
    /// <param name="progress">Told bytes done and bytes total as the scan proceeds.</param>
    public static SearchResult Search(int pid, SearchPattern pattern, string? regionFilter = null, int max = 1000, int chunk = DefaultChunk,
        Action<ulong, ulong>? progress = null) =>
        Search(pid, pattern, ProcessMaps.Read(pid).Where(r => r.CanRead && Matches(r, regionFilter)).ToList(), max, chunk, progress);

    /// <summary>Searches the given mappings of <paramref name="pid"/> (for example one range cut from its maps).</summary>
    public static SearchResult Search(int pid, SearchPattern pattern, IReadOnlyList<ProcessRegion> regions, int max = 1000, int chunk = DefaultChunk,
        Action<ulong, ulong>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (chunk < pattern.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), $"Chunk {chunk} is smaller than the {pattern.Length}-byte pattern.");
        }
        ulong total = regions.Aggregate(0UL, (sum, r) => sum + r.Size);
        var matches = new List<SearchMatch>();
        var skipped = new List<(ProcessRegion, string)>();
        var buffer = new byte[chunk];
        ulong done = 0;
        int overlap = pattern.Length - 1;
        foreach (var region in regions)
        {
            ulong at = region.Start;
            int carried = 0;   // bytes at the buffer's start kept from the previous chunk
            while (at < region.End && matches.Count < max)
            {
                int want = (int)Math.Min((ulong)(chunk - carried), region.End - at);
                long n = ProcessMemory.TryRead(pid, at, buffer.AsSpan(carried, want));
                if (n <= 0)
                {
                    if (n == -Native.ProcessVm.Esrch)
                    {
                        throw new ProcessAccessException(pid, "exited during the search");
                    }
                    skipped.Add((region, n == 0 ? "nothing readable" : $"unreadable at 0x{at:X}: {Native.FileDescriptors.Describe((int)-n)}"));
                    break;
                }
                int length = carried + (int)n;
                ulong bufferStart = at - (ulong)carried;
                foreach (int offset in pattern.Matches(buffer, length, 0, max - matches.Count))
                {
                    matches.Add(new SearchMatch(bufferStart + (ulong)offset, region));
                }
                at += (ulong)n;
                done += (ulong)n;
                progress?.Invoke(done, total);
                // Keep the tail so a match straddling the boundary is seen whole in the next chunk (and only there).
                carried = Math.Min(overlap, length);
                Array.Copy(buffer, length - carried, buffer, 0, carried);
                if (n < want)
                {
                    skipped.Add((region, $"unreadable from 0x{at:X}"));
                    break;
                }
            }
            if (matches.Count >= max)
            {
                break;
            }
        }
        return new SearchResult(matches, skipped, done);
    }

    private static bool Matches(ProcessRegion region, string? filter) =>
        filter is null || region.Path.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || string.Equals(region.Class.ToString(), filter, StringComparison.OrdinalIgnoreCase);
}
