using System.Globalization;

namespace MemGate.Memory;

/// <summary>
/// An address in the guest's (firmware's) address space. A distinct type so a guest address is never
/// mixed up with a host pointer or an offset; arithmetic is checked and never wraps.
/// </summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>, ISpanFormattable
{
    /// <summary>This address plus <paramref name="offset"/>; throws <see cref="OverflowException"/> past 2^64 − 1.</summary>
    public GuestAddress CheckedAdd(ulong offset) =>
        Value <= ulong.MaxValue - offset
            ? new GuestAddress(Value + offset)
            : throw new OverflowException($"Guest address {this} + 0x{offset:X} overflows 64 bits.");

    /// <summary>This address plus <paramref name="offset"/>, or false when that would overflow.</summary>
    public bool TryAdd(ulong offset, out GuestAddress result)
    {
        bool ok = Value <= ulong.MaxValue - offset;
        result = ok ? new GuestAddress(Value + offset) : default;
        return ok;
    }

    /// <summary>The distance from <paramref name="origin"/> up to this address; throws when <paramref name="origin"/> is above it.</summary>
    public ulong OffsetFrom(GuestAddress origin) =>
        Value >= origin.Value
            ? Value - origin.Value
            : throw new OverflowException($"Guest address {this} lies below {origin}.");

    /// <summary>Checked addition.</summary>
    public static GuestAddress operator +(GuestAddress address, ulong offset) => address.CheckedAdd(offset);

    /// <summary>Orders by value.</summary>
    public static bool operator <(GuestAddress a, GuestAddress b) => a.Value < b.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator >(GuestAddress a, GuestAddress b) => a.Value > b.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator <=(GuestAddress a, GuestAddress b) => a.Value <= b.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator >=(GuestAddress a, GuestAddress b) => a.Value >= b.Value;

    /// <inheritdoc />
    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    /// <summary>Parses "0x2000_0000", "0X8000000", "20000000h" or decimal "536870912".</summary>
    public static GuestAddress Parse(string text) =>
        TryParse(text, out var address)
            ? address
            : throw new FormatException($"'{text}' is not a guest address (hex with 0x prefix, or decimal).");

    /// <summary>Parses like <see cref="Parse"/>, returning false on bad input.</summary>
    public static bool TryParse(string? text, out GuestAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        bool ok;
        ulong value = 0;
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = t.Length > 2 && ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (t.EndsWith('h') || t.EndsWith('H'))
        {
            ok = t.Length > 1 && ulong.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else
        {
            ok = ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
        if (ok)
        {
            address = new GuestAddress(value);
        }
        return ok;
    }

    /// <summary>"0x20000000": eight hex digits for 32-bit values, sixteen above.</summary>
    public override string ToString() => Value <= uint.MaxValue ? $"0x{Value:X8}" : $"0x{Value:X16}";

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        string.IsNullOrEmpty(format) ? ToString() : Value.ToString(format, formatProvider);

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (!format.IsEmpty)
        {
            return Value.TryFormat(destination, out charsWritten, format, provider);
        }
        return Value <= uint.MaxValue
            ? destination.TryWrite(CultureInfo.InvariantCulture, $"0x{Value:X8}", out charsWritten)
            : destination.TryWrite(CultureInfo.InvariantCulture, $"0x{Value:X16}", out charsWritten);
    }
}
