namespace MemGate.Snapshots.Files;

/// <summary>Stored pages of a <see cref="SnapshotArea"/>.</summary>
/// <param name="Start">Offset in the area (page-aligned).</param>
/// <param name="Length">Bytes (whole pages).</param>
/// <param name="Xxh3">XXH3-64 of the bytes, hexadecimal.</param>
public sealed record SnapshotPageRun(ulong Start, ulong Length, string Xxh3);
