namespace MemGate.Mmio;

/// <summary>What a write does to a field's bits (CMSIS-SVD <c>modifiedWriteValues</c>).</summary>
public enum WriteAction
{
    /// <summary>The bits take the written value.</summary>
    Modify,

    /// <summary>Writing 1 clears the bit, 0 leaves it (W1C: interrupt flags).</summary>
    OneToClear,

    /// <summary>Writing 1 sets the bit, 0 leaves it (W1S).</summary>
    OneToSet,

    /// <summary>Writing 1 toggles the bit.</summary>
    OneToToggle,

    /// <summary>Writing 0 clears the bit, 1 leaves it (W0C).</summary>
    ZeroToClear,

    /// <summary>Writing 0 sets the bit.</summary>
    ZeroToSet,

    /// <summary>Writing 0 toggles the bit.</summary>
    ZeroToToggle,

    /// <summary>Any write clears the field.</summary>
    Clear,

    /// <summary>Any write sets the field.</summary>
    Set,
}
