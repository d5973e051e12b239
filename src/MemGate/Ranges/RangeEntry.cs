namespace MemGate.Ranges;

/// <summary>One entry of a <see cref="RangeMap{TValue}"/>: the half-open range [Start, End) and its value.</summary>
public readonly record struct RangeEntry<TValue>(ulong Start, ulong End, TValue Value)
{
    /// <summary>End − Start.</summary>
    public ulong Length => End - Start;

    /// <inheritdoc />
    public override string ToString() => $"[0x{Start:X}, 0x{End:X}) -> {Value}";
}
