using System.Globalization;

namespace MemGate.Devices;

/// <summary>
/// Sizes as device files write them: "512", "4KB", "64MB", "1GiB", "0x1B". Units are binary
/// (KB = KiB = 1024, as datasheets use them); a hex number is always a byte count, so "0x1B" is 27
/// bytes, not one byte.
/// </summary>
public static class ByteSize
{
    /// <summary>Parses a size; throws <see cref="FormatException"/> naming the text and what is wrong.</summary>
    public static ulong Parse(string text) =>
        TryParse(text, out ulong value, out string? error) ? value : throw new FormatException($"Size '{text}': {error}");

    /// <summary>Parses a size; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? text, out ulong value, out string? error)
    {
        value = 0;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty";
            return false;
        }
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (t.Length > 2 && ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
            {
                return true;
            }
            error = t.Length > 2 ? Config.ConfigNumber.Problem(t[2..], hex: true) : "not a hexadecimal byte count";
            return false;
        }
        int split = 0;
        while (split < t.Length && char.IsAsciiDigit(t[split]))
        {
            split++;
        }
        if (split == 0 || !ulong.TryParse(t.AsSpan(0, split), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
        {
            error = split > 0 ? Config.ConfigNumber.Problem(t[..split], hex: false)
                : t.StartsWith('-') ? "negative; a size is 0 or more"
                : "expected a number, optionally followed by B, KB/KiB, MB/MiB, GB/GiB or TB/TiB";
            return false;
        }
        string unit = t[split..].Trim().ToUpperInvariant();
        int shift = unit switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0)
        {
            error = $"unknown unit '{t[split..]}' (use B, KB/KiB, MB/MiB, GB/GiB or TB/TiB)";
            return false;
        }
        if (number > ulong.MaxValue >> shift)
        {
            error = "too large for 64 bits";
            return false;
        }
        value = number << shift;
        return true;
    }

    /// <summary>The exact form with the largest whole binary unit: "128KiB", "2GiB"; 1536 stays "1536".</summary>
    public static string Format(ulong bytes)
    {
        (int Shift, string Unit)[] units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
        foreach (var (shift, unit) in units)
        {
            if (bytes != 0 && bytes % (1UL << shift) == 0)
            {
                return $"{bytes >> shift}{unit}";
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A rounded human form for tables: "20 KiB", "1.5 GiB", "27 B".</summary>
    public static string Human(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int i = 0;
        while (value >= 1024 && i < units.Length - 1)
        {
            value /= 1024;
            i++;
        }
        return i == 0 ? $"{bytes} B" : value.ToString(value % 1 == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + units[i];
    }

    /// <summary>
    /// <see cref="Human"/> where that is exact (4 KiB, 1.5 MiB), else the bytes themselves (4,097 B): for memory maps,
    /// where a size that reads as 4 KiB must be 4 KiB.
    /// </summary>
    public static string Exact(ulong bytes)
    {
        ulong unit = 1;
        while (unit < 1UL << 60 && bytes >= unit * 1024)
        {
            unit *= 1024;
        }
        bool exact = unit == 1 || (UInt128)bytes * 100 % unit == 0;
        return exact ? Human(bytes) : bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";
    }
}
