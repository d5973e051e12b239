namespace MemGate.Mmio;

/// <summary>
/// An answer for reads of one unmodelled MMIO address served from the MMIO input, as Fuzzware's
/// <c>mmio_models</c> give them: for reads from <see cref="Pc"/> (any code when null), the read is answered
/// per <see cref="Kind"/> instead of taking the full width from the input.
/// </summary>
/// <param name="Kind">How the read is answered.</param>
/// <param name="Address">The register's address.</param>
public sealed record MmioInputModel(MmioInputModelKind Kind, ulong Address)
{
    /// <summary>The instruction the model is for (Fuzzware keys models by access site); null: every one.</summary>
    public ulong? Pc { get; init; }

    /// <summary><see cref="MmioInputModelKind.Constant"/>: the value; <see cref="MmioInputModelKind.Passthrough"/>: the initial value.</summary>
    public ulong Value { get; init; }

    /// <summary><see cref="MmioInputModelKind.BitExtract"/>: input bytes taken (1-8).</summary>
    public int Size { get; init; } = 1;

    /// <summary><see cref="MmioInputModelKind.BitExtract"/>: bits the value is shifted left by.</summary>
    public int LeftShift { get; init; }

    /// <summary><see cref="MmioInputModelKind.Set"/>: the values to pick from.</summary>
    public IReadOnlyList<ulong> Values { get; init; } = [];

    /// <summary>Equal when every field, and the values in order, are.</summary>
    public bool Equals(MmioInputModel? other) =>
        other is not null && Kind == other.Kind && Address == other.Address && Pc == other.Pc && Value == other.Value && Size == other.Size
        && LeftShift == other.LeftShift && Values.SequenceEqual(other.Values);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Address, Pc, Value, Size, LeftShift, Values.Count);
}
