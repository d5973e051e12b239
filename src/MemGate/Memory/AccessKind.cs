namespace MemGate.Memory;

/// <summary>The kind of a guest access, for permission checks and error messages.</summary>
public enum AccessKind : byte
{
    /// <summary>A load.</summary>
    Read,

    /// <summary>A store.</summary>
    Write,

    /// <summary>An instruction fetch.</summary>
    Execute,
}
