namespace MemGate.Snapshots.Files;

/// <summary>Bytes stored in a snapshot file.</summary>
/// <param name="Offset">File offset.</param>
/// <param name="Length">Length.</param>
/// <param name="Xxh3">XXH3-64 of the bytes, hexadecimal.</param>
public sealed record SnapshotBlob(ulong Offset, ulong Length, string Xxh3);
