namespace MemGate.Firmware;

/// <summary>Reads a firmware image, telling ELF by its magic and HEX/S-record/raw by extension or content.</summary>
public static class FirmwareReader
{
    /// <summary>Reads <paramref name="path"/>; raw binaries need <paramref name="rawAddress"/>.</summary>
    /// <exception cref="FirmwareFormatException">The file is malformed, a raw binary has no address, or another format has one.</exception>
    public static FirmwareImage Load(string path, FirmwareFormat? format = null, ulong? rawAddress = null)
    {
        byte[] data = InputFile.ReadAllBytes(path, "Firmware file");
        if (data.Length == 0)
        {
            throw new FirmwareFormatException(path, "image", "the file is empty: there is nothing to load");
        }
        var detected = format ?? Detect(path, data);
        if (format is null && rawAddress is not null && detected != FirmwareFormat.Elf && FormatOfExtension(path) is null)
        {
            detected = FirmwareFormat.Raw;   // a raw binary may begin with ':' or "S1" by chance: the address says what it is
        }
        if (rawAddress is not null && detected != FirmwareFormat.Raw)
        {
            // Loading it elsewhere is not what the image says; ignoring the address would hide the mistake.
            throw new FirmwareFormatException(path, detected switch { FirmwareFormat.Elf => "ELF image", FirmwareFormat.IntelHex => "Intel HEX image", _ => "S-record image" }, "the image carries its own load addresses; a load address is given only for a raw binary");
        }
        return detected switch
        {
            FirmwareFormat.Elf => ElfReader.Read(data, path),
            FirmwareFormat.IntelHex => IntelHexReader.Read(System.Text.Encoding.ASCII.GetString(WithoutByteOrderMark(data)), path),
            FirmwareFormat.Srec => SrecReader.Read(System.Text.Encoding.ASCII.GetString(WithoutByteOrderMark(data)), path),
            _ => rawAddress is { } address ? Raw(path, data, address)
                : throw new FirmwareFormatException(path, "raw image", "a raw binary needs the address to load it at (memgate's --address; the rawAddress argument of FirmwareReader.Load)"),
        };
    }

    // The text formats a file's extension names (HEX, S-record), or null.
    private static FirmwareFormat? FormatOfExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".hex" or ".ihex" or ".ihx" => FirmwareFormat.IntelHex,
        ".srec" or ".s19" or ".s28" or ".s37" or ".mot" => FirmwareFormat.Srec,
        _ => null,
    };

    private static FirmwareImage Raw(string path, byte[] data, ulong address)
    {
        if (data.Length == 0)
        {
            throw new FirmwareFormatException(path, "raw image", "the file is empty: there is nothing to load");
        }
        if (address > ulong.MaxValue - (ulong)(data.Length - 1))
        {
            throw new FirmwareFormatException(path, "raw image", $"{data.Length:N0} bytes at 0x{address:X} run past the end of the 64-bit address space");
        }
        return new FirmwareImage(path, FirmwareFormat.Raw, [new FirmwareSegment(address, data, "raw image")]);
    }

    /// <summary>
    /// The format of a file: ELF by magic; ':' first → Intel HEX; 'S0'–'S9' (or lowercase) first → S-record, whatever the
    /// extension says (an S-record file named .hex is one); otherwise the extension's text format, else raw. A UTF-8 byte
    /// order mark before the text is passed over.
    /// </summary>
    public static FirmwareFormat Detect(string path, ReadOnlySpan<byte> data)
    {
        if (ElfReader.IsElf(data))
        {
            return FirmwareFormat.Elf;
        }
        var text = WithoutByteOrderMark(data);
        if (text.Length > 0 && text[0] == (byte)':')
        {
            return FirmwareFormat.IntelHex;
        }
        if (text.Length > 1 && text[0] is (byte)'S' or (byte)'s' && char.IsAsciiDigit((char)text[1]))
        {
            return FirmwareFormat.Srec;
        }
        return FormatOfExtension(path) ?? FirmwareFormat.Raw;
    }

    private static ReadOnlySpan<byte> WithoutByteOrderMark(ReadOnlySpan<byte> data) => data.StartsWith("\uFEFF"u8) ? data[3..] : data;
}
