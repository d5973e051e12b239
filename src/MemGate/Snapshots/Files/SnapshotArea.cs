namespace MemGate.Snapshots.Files;

/// <summary>
/// A run of guest memory in a snapshot file: regions that share host pages, laid out in the file as in
/// memory (page <c>i</c> of the area at <see cref="Offset"/> + <c>i</c> × page size), so the whole area can be
/// mapped. Only <see cref="Pages"/> are stored; the pages between them are holes that read as zero.
/// </summary>
/// <param name="Regions">The regions in the area and where each starts in it.</param>
/// <param name="Length">Bytes (whole pages).</param>
/// <param name="Offset">File offset of the area's first page (page-aligned).</param>
/// <param name="Pages">The stored runs of pages.</param>
public sealed record SnapshotArea(IReadOnlyList<SnapshotAreaRegion> Regions, ulong Length, ulong Offset, IReadOnlyList<SnapshotPageRun> Pages);
