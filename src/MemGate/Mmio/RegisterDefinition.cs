namespace MemGate.Mmio;

/// <summary>
/// A register of a block: offset, width, reset value and fields. Bits outside every field follow
/// <see cref="Access"/> (read-write by default). Register-level hooks see and may replace the whole value.
/// </summary>
/// <param name="Name">The register's name, e.g. "SR".</param>
/// <param name="Offset">Byte offset in its block.</param>
/// <param name="SizeBits">8, 16, 32 or 64.</param>
public sealed record RegisterDefinition(string Name, ulong Offset, int SizeBits)
{
    /// <summary>Value after reset.</summary>
    public ulong ResetValue { get; init; }

    /// <summary>Bits that have a defined reset value (others reset to 0).</summary>
    public ulong ResetMask { get; init; } = ulong.MaxValue;

    /// <summary>Access of the bits no field covers.</summary>
    public FieldAccess Access { get; init; } = FieldAccess.ReadWrite;

    /// <summary>The fields, any order, not overlapping.</summary>
    public IReadOnlyList<RegisterField> Fields { get; init; } = [];

    /// <summary>Free text.</summary>
    public string Description { get; init; } = "";

    /// <summary>Another register at the same offset this one is an alternative view of (SVD alternateRegister).</summary>
    public string? AlternateOf { get; init; }

    /// <summary>Computes the value a read sees from the stored value (after field hooks).</summary>
    public Func<ulong, ulong>? OnRead { get; init; }

    /// <summary>Called after a write with the old and new stored value.</summary>
    public Action<ulong, ulong>? OnWrite { get; init; }

    /// <summary>Width in bytes.</summary>
    public int SizeBytes => SizeBits / 8;

    /// <summary>All bits of the register.</summary>
    public ulong WidthMask => SizeBits >= 64 ? ulong.MaxValue : (1UL << SizeBits) - 1;

    /// <summary>What the register holds after reset: <see cref="ResetValue"/> where <see cref="ResetMask"/> defines the bits, 0 elsewhere.</summary>
    public ulong InitialValue => ResetValue & ResetMask & WidthMask;
}
