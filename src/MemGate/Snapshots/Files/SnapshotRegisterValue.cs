namespace MemGate.Snapshots.Files;

/// <summary>A CPU register in a snapshot file.</summary>
/// <param name="Name">The architecture's name for it.</param>
/// <param name="Value">Its bytes, little-endian, as hexadecimal (two digits per byte, lowest byte first).</param>
public sealed record SnapshotRegisterValue(string Name, string Value);
