namespace MemGate.Mmio;

/// <summary>Who may read and write a register field (CMSIS-SVD <c>access</c>).</summary>
public enum FieldAccess
{
    /// <summary>Readable and writable.</summary>
    ReadWrite,

    /// <summary>Writes are ignored.</summary>
    ReadOnly,

    /// <summary>Reads return zero.</summary>
    WriteOnly,

    /// <summary>Reads return zero; only the first write after reset takes effect.</summary>
    WriteOnce,

    /// <summary>Readable; only the first write after reset takes effect.</summary>
    ReadWriteOnce,
}
