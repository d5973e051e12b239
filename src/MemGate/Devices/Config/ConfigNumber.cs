using System.Globalization;

namespace MemGate.Devices.Config;

/// <summary>Numbers as device files and the imported configs write them: hex with "0x", or decimal; underscores ignored.</summary>
internal static class ConfigNumber
{
    public static bool TryParse(string text, out ulong value)
    {
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        return t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
