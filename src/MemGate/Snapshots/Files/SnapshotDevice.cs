namespace MemGate.Snapshots.Files;

/// <summary>The device a snapshot file was taken of.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Format">The format of <paramref name="Description"/>: json (what MemGate writes) or toml.</param>
/// <param name="Description">The device description as a device file.</param>
/// <param name="BaseDirectory">Where the description's relative paths (SVD file, region files) were resolved.</param>
public sealed record SnapshotDevice(string Name, string Format, string Description, string BaseDirectory);
