namespace MemGate.Snapshots;

/// <summary>What <see cref="GuestSnapshot.Restore"/> did.</summary>
/// <param name="Pages">Host pages copied back: those written since the snapshot (or the last restore); of the pages the last restore left writable, and of all pages where a write witness listed them, those that differed.</param>
/// <param name="Ranges">Contiguous runs of such pages.</param>
/// <param name="Elapsed">Time the restore took.</param>
/// <param name="FromWitness">Whether the pages came from the snapshot's <see cref="Memory.WriteWitness"/> (no page-table walk).</param>
public sealed record SnapshotRestore(ulong Pages, int Ranges, TimeSpan Elapsed, bool FromWitness = false);
