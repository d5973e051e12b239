namespace MemGate.Snapshots.Files;

/// <summary>The firmware image a snapshot's run loaded.</summary>
/// <param name="Path">Its full path when the snapshot was written.</param>
/// <param name="Sha256">Its SHA-256, hexadecimal.</param>
public sealed record SnapshotFirmware(string Path, string Sha256);
