namespace MemGate.Emulation;

/// <summary>Which data accesses a watchpoint stops at (GDB's <c>watch</c>, <c>rwatch</c> and <c>awatch</c>).</summary>
public enum WatchKind
{
    /// <summary>Writes.</summary>
    Write,

    /// <summary>Reads.</summary>
    Read,

    /// <summary>Reads and writes.</summary>
    Access,
}
