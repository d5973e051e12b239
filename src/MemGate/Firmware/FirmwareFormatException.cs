namespace MemGate.Firmware;

/// <summary>An image file is malformed or does not fit the device; the message names the file, the record or segment, and the address.</summary>
public sealed class FirmwareFormatException : MemGateException
{
    /// <summary>Creates the exception.</summary>
    public FirmwareFormatException(string file, string where, string message, Exception? inner = null)
        : base($"{file}: {where}: {message}", inner)
    {
        File = file;
        Where = where;
        // Text formats name the line ("line 14", RecordText.Lines); binary ones a segment or header.
        Line = where.StartsWith("line ", StringComparison.Ordinal) && int.TryParse(where.AsSpan(5), out int line) ? line : null;
    }

    /// <summary>The line at fault in a text format (Intel HEX, S-record); null for a binary one.</summary>
    public int? Line { get; }

    /// <summary>The image file.</summary>
    public string File { get; }

    /// <summary>The record, line or segment at fault.</summary>
    public string Where { get; }
}
