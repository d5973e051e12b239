namespace MemGate.Processes;

/// <summary>
/// Statistics of a process's mappings (memlink's analyze/stats, and more): totals by class and by
/// permission, smaps figures summed (RSS, PSS, private/shared clean/dirty, swap, huge pages), the largest
/// mappings, and writable-and-executable mappings flagged.
/// </summary>
public sealed record ProcessAnalysis(
    int Pid,
    int Regions,
    ulong VirtualBytes,
    IReadOnlyDictionary<string, ulong> BytesByClass,
    IReadOnlyDictionary<string, ulong> BytesByPermissions,
    IReadOnlyDictionary<string, ulong> Smaps,
    IReadOnlyList<ProcessRegion> Largest,
    IReadOnlyList<ProcessRegion> WritableAndExecutable,
    IReadOnlyList<ProcessRegion> Heap,
    IReadOnlyList<ProcessRegion> Stacks,
    IReadOnlyList<ProcessRegion> Executable)
{
    /// <summary>The smaps fields summed over all mappings.</summary>
    public static readonly string[] SmapsFields =
        ["Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty", "Swap", "AnonHugePages", "Locked"];

    /// <summary>Analyzes <paramref name="pid"/> (reads smaps).</summary>
    public static ProcessAnalysis Of(int pid) => Of(pid, ProcessMaps.Read(pid, detailed: true));

    /// <summary>Analyzes already-read mappings.</summary>
    public static ProcessAnalysis Of(int pid, IReadOnlyList<ProcessRegion> regions) => new(
        pid,
        regions.Count,
        regions.Aggregate(0UL, (sum, r) => sum + r.Size),
        regions.GroupBy(r => r.Class.ToString()).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Aggregate(0UL, (s, r) => s + r.Size)),
        regions.GroupBy(r => r.Permissions).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Aggregate(0UL, (s, r) => s + r.Size)),
        SmapsFields.ToDictionary(f => f, f => regions.Aggregate(0UL, (s, r) => s + r.Detail(f))),
        regions.OrderByDescending(r => r.Size).Take(10).ToList(),
        regions.Where(r => r.CanWrite && r.CanExecute).ToList(),
        regions.Where(r => r.Class == MemoryClass.Heap).ToList(),
        regions.Where(r => r.Class is MemoryClass.Stack or MemoryClass.ThreadStack).ToList(),
        regions.Where(r => r.CanExecute).ToList());
}
