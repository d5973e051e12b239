namespace MemGate.Snapshots;

/// <summary>
/// Host memory mapped copy-on-write from a snapshot file: what its pages hold until written is the file's,
/// so a <see cref="GuestSnapshot"/> of it takes the file as its starting copy (pages never faulted in are not
/// in memory, and cannot be copied from there).
/// </summary>
/// <param name="Host">Start of the mapping.</param>
/// <param name="Length">Its length.</param>
/// <param name="Path">The snapshot file.</param>
/// <param name="Offset">Where the mapping starts in the file.</param>
/// <param name="Stored">The runs of pages the file holds data for (offset in the mapping, length); the rest reads as zero.</param>
internal sealed record SnapshotBaseline(nint Host, ulong Length, string Path, long Offset, IReadOnlyList<(ulong Start, ulong Length)> Stored);
