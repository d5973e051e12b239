namespace MemGate.Mmio;

/// <summary>What a read does to a field afterwards (CMSIS-SVD <c>readAction</c>).</summary>
public enum ReadAction
{
    /// <summary>Reading has no side effect.</summary>
    None,

    /// <summary>Reading clears the field (read-to-clear status registers).</summary>
    Clear,

    /// <summary>Reading sets the field.</summary>
    Set,
}
