namespace MemGate.Memory;

/// <summary>What the guest may do with a region. The bits match PROT_READ, PROT_WRITE and PROT_EXEC.</summary>
[Flags]
public enum Permissions : byte
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>Loads.</summary>
    Read = 1,

    /// <summary>Stores.</summary>
    Write = 2,

    /// <summary>Instruction fetches.</summary>
    Execute = 4,

    /// <summary>Read and write.</summary>
    ReadWrite = Read | Write,

    /// <summary>Read and execute (flash, ROM).</summary>
    ReadExecute = Read | Execute,

    /// <summary>Everything.</summary>
    All = Read | Write | Execute,
}
