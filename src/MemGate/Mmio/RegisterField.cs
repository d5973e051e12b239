namespace MemGate.Mmio;

/// <summary>
/// A bit field of a register: where it is, who may access it and what accesses do. Hooks make the
/// field behave: <see cref="OnRead"/> supplies the value a read sees (for example a ready flag that
/// follows an enable bit), <see cref="OnWrite"/> is told the old and new value after a write.
/// </summary>
/// <param name="Name">The field's name, e.g. "TXE".</param>
/// <param name="BitOffset">Lowest bit.</param>
/// <param name="BitWidth">Number of bits, 1 to 64.</param>
public sealed record RegisterField(string Name, int BitOffset, int BitWidth)
{
    /// <summary>Who may read and write it.</summary>
    public FieldAccess Access { get; init; } = FieldAccess.ReadWrite;

    /// <summary>What a write does.</summary>
    public WriteAction WriteAction { get; init; } = WriteAction.Modify;

    /// <summary>What a read does afterwards.</summary>
    public ReadAction ReadAction { get; init; } = ReadAction.None;

    /// <summary>Free text.</summary>
    public string Description { get; init; } = "";

    /// <summary>Named values of the field (from SVD enumeratedValues), value → name.</summary>
    public IReadOnlyDictionary<ulong, string> Values { get; init; } = new Dictionary<ulong, string>();

    /// <summary>Computes the value a read sees from the stored one (field-aligned, unshifted).</summary>
    public Func<ulong, ulong>? OnRead { get; init; }

    /// <summary>Called after a write with the field's old and new stored value.</summary>
    public Action<ulong, ulong>? OnWrite { get; init; }

    /// <summary>The field's bits within the register.</summary>
    public ulong Mask => (BitWidth >= 64 ? ulong.MaxValue : (1UL << BitWidth) - 1) << BitOffset;
}
