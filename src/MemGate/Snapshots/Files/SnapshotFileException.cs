namespace MemGate.Snapshots.Files;

/// <summary>A snapshot file that cannot be used: not a snapshot, another version, truncated, corrupt, or of another device. Names the file.</summary>
public sealed class SnapshotFileException : IOException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public SnapshotFileException(string path, string message, Exception? inner = null) : base($"Snapshot file '{path}': {message}", inner) => Path = path;

    /// <summary>The file.</summary>
    public string Path { get; }
}
