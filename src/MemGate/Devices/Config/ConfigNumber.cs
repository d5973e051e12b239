using System.Globalization;

namespace MemGate.Devices.Config;

/// <summary>Numbers as device files and the imported configs write them: hex with "0x", or decimal; underscores ignored.</summary>
internal static class ConfigNumber
{
    public static bool TryParse(string text, out ulong value) => TryParse(text, out value, out _);

    /// <summary>As <see cref="TryParse(string, out ulong)"/>; on failure <paramref name="error"/> says why (negative, too large, not a number).</summary>
    public static bool TryParse(string text, out ulong value, out string error)
    {
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (hex ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = "";
            return true;
        }
        error = Problem(hex ? t[2..] : t, hex);
        return false;
    }

    /// <summary>Why digits did not make a 64-bit number: a minus sign, too many digits, or not digits at all.</summary>
    public static string Problem(string digits, bool hex) =>
        digits.StartsWith('-') ? "negative; it must be 0 or more"
        : digits.Length > 0 && digits.All(c => hex ? char.IsAsciiHexDigit(c) : char.IsAsciiDigit(c)) ? $"too large for 64 bits (the largest is 0x{ulong.MaxValue:X})"
        : hex ? "not a hexadecimal number" : "not a number";
}
