using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MemGate.Processes;

/// <summary>Bytes to find, with wildcards: from hex ("DE AD ?? EF"), a string (UTF-8 or UTF-16LE), or a 32/64-bit integer.</summary>
public sealed class SearchPattern
{
    private SearchPattern(byte[] bytes, bool[] wildcard, string text)
    {
        if (bytes.Length == 0)
        {
            throw new FormatException("An empty pattern finds everything; give at least one byte.");
        }
        if (wildcard.All(w => w))
        {
            throw new FormatException($"Pattern '{text}' is all wildcards; give at least one byte.");
        }
        Bytes = bytes;
        Wildcard = wildcard;
        Text = text;
        Anchor = Array.IndexOf(wildcard, false);
    }

    /// <summary>The bytes (0 under wildcards).</summary>
    public byte[] Bytes { get; }

    /// <summary>True where any byte matches.</summary>
    public bool[] Wildcard { get; }

    /// <summary>How the pattern was given.</summary>
    public string Text { get; }

    /// <summary>Length in bytes.</summary>
    public int Length => Bytes.Length;

    // The first concrete byte: searched for with a vectorized IndexOf, the rest verified.
    private int Anchor { get; }

    /// <summary>"DE AD ?? EF" or "DEAD??EF"; throws <see cref="FormatException"/> naming the bad token.</summary>
    public static SearchPattern FromHex(string hex)
    {
        string compact = string.Concat(hex.Where(c => !char.IsWhiteSpace(c)));
        if (compact.Length == 0 || compact.Length % 2 != 0)
        {
            throw new FormatException($"Hex pattern '{hex}' needs pairs of hex digits or '??'.");
        }
        var bytes = new byte[compact.Length / 2];
        var wild = new bool[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            string pair = compact.Substring(2 * i, 2);
            if (pair == "??")
            {
                wild[i] = true;
            }
            else if (!byte.TryParse(pair, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                throw new FormatException($"Hex pattern '{hex}': '{pair}' is neither a hex byte nor '??'.");
            }
        }
        return new SearchPattern(bytes, wild, hex);
    }

    /// <summary>A string in UTF-8, or UTF-16LE when <paramref name="utf16"/>.</summary>
    public static SearchPattern FromString(string text, bool utf16 = false)
    {
        byte[] bytes = utf16 ? Encoding.Unicode.GetBytes(text) : Encoding.UTF8.GetBytes(text);
        return new SearchPattern(bytes, new bool[bytes.Length], utf16 ? $"\"{text}\" (UTF-16)" : $"\"{text}\"");
    }

    /// <summary>A little-endian 32-bit value.</summary>
    public static SearchPattern FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return new SearchPattern(bytes, new bool[4], $"u32 0x{value:X}");
    }

    /// <summary>A little-endian 64-bit value.</summary>
    public static SearchPattern FromUInt64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return new SearchPattern(bytes, new bool[8], $"u64 0x{value:X}");
    }

    /// <summary>Offsets in <paramref name="data"/> where the pattern starts, up to <paramref name="limit"/>, from <paramref name="from"/>.</summary>
    public IEnumerable<int> Matches(byte[] data, int length, int from = 0, int limit = int.MaxValue)
    {
        int found = 0;
        int at = from + Anchor;
        while (found < limit)
        {
            int next = at < length ? data.AsSpan(at, length - at).IndexOf(Bytes[Anchor]) : -1;
            if (next < 0)
            {
                yield break;
            }
            int start = at + next - Anchor;
            at += next + 1;
            if (start + Length > length)
            {
                yield break;
            }
            if (IsAt(data, start))
            {
                found++;
                yield return start;
            }
        }
    }

    private bool IsAt(byte[] data, int start)
    {
        for (int i = 0; i < Length; i++)
        {
            if (!Wildcard[i] && data[start + i] != Bytes[i])
            {
                return false;
            }
        }
        return true;
    }
}
