namespace MemGate.Devices;

/// <summary>A place in a config file; line and column are 1-based, 0 when the format does not give them.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <inheritdoc/>
    public override string ToString() => Line <= 0 ? File : Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}";
}
