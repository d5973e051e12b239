namespace MemGate.Snapshots.Files;

/// <summary>A guest region inside a <see cref="SnapshotArea"/>.</summary>
/// <param name="Name">The region's name.</param>
/// <param name="Start">Its guest address.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Offset">Where it starts in the area.</param>
public sealed record SnapshotAreaRegion(string Name, ulong Start, ulong Size, ulong Offset);
