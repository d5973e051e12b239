using System.Globalization;

namespace MemGate.Firmware;

/// <summary>What Intel HEX and S-record text have in common: one record per line, hex bytes after a prefix.</summary>
internal static class RecordText
{
    /// <summary>
    /// The non-blank lines, trimmed, each with "line N" for errors. A Ctrl-Z (0x1A, the end-of-file mark DOS-era tools
    /// append, sometimes with padding after it) ends the text, as it did for them.
    /// </summary>
    public static IEnumerable<(string Line, string Where)> Lines(string text)
    {
        int end = text.IndexOf('\x1A');
        string[] lines = (end < 0 ? text : text[..end]).Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length != 0)
            {
                yield return (line, $"line {n + 1}");
            }
        }
    }

    /// <summary>The hex bytes of <paramref name="line"/> after its <paramref name="prefix"/> characters; a bad digit names its column.</summary>
    public static byte[] Bytes(string line, int prefix, string file, string where)
    {
        var bytes = new byte[(line.Length - prefix) / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!byte.TryParse(line.AsSpan(prefix + 2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                throw new FirmwareFormatException(file, where, $"'{line.Substring(prefix + 2 * i, 2)}' at column {prefix + 1 + 2 * i} is not a hex byte");
            }
        }
        return bytes;
    }

    /// <summary>A line cut to fit an error message.</summary>
    public static string Shorten(string line) => line.Length > 24 ? line[..24] + "…" : line;
}
