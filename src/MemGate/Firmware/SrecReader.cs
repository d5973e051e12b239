namespace MemGate.Firmware;

/// <summary>
/// Reads Motorola S-records: S0 header, S1/S2/S3 data with 16/24/32-bit addresses, S5/S6 record
/// counts (checked against the data records seen), S7/S8/S9 termination with the entry address;
/// every checksum verified. Consecutive data records are merged into one segment.
/// </summary>
public static class SrecReader
{
    /// <summary>Reads S-record text; <paramref name="file"/> names it in errors.</summary>
    public static FirmwareImage Read(string text, string file)
    {
        var builder = new SegmentBuilder();
        ulong? entry = null;
        long dataRecords = 0;
        bool ended = false;
        foreach (var (record, where) in RecordText.Lines(text))
        {
            string line = record.ToUpperInvariant();   // lowercase records (some tools write them) read the same
            if (ended)
            {
                throw new FirmwareFormatException(file, where, "record after the termination record");
            }
            if (line.Length < 4 || line[0] != 'S' || !char.IsAsciiDigit(line[1]) || line.Length % 2 != 0)
            {
                throw new FirmwareFormatException(file, where, $"'{RecordText.Shorten(line)}' is not an S-record");
            }
            char type = line[1];
            var bytes = RecordText.Bytes(line, 2, file, where);
            if (bytes[0] != bytes.Length - 1)
            {
                throw new FirmwareFormatException(file, where, $"byte count {bytes[0]} does not match the record's {bytes.Length - 1} bytes");
            }
            byte sum = 0;
            for (int i = 0; i < bytes.Length - 1; i++)
            {
                sum += bytes[i];
            }
            if ((byte)~sum != bytes[^1])
            {
                throw new FirmwareFormatException(file, where, $"checksum 0x{bytes[^1]:X2} is wrong (0x{(byte)~sum:X2} expected)");
            }
            int addressBytes = type switch
            {
                '0' or '1' or '5' or '9' => 2,
                '2' or '6' or '8' => 3,
                '3' or '7' => 4,
                _ => throw new FirmwareFormatException(file, where, $"unknown record type S{type}"),
            };
            if (bytes.Length < 2 + addressBytes)
            {
                throw new FirmwareFormatException(file, where, $"S{type} record too short for its {addressBytes}-byte address");
            }
            ulong address = 0;
            for (int i = 0; i < addressBytes; i++)
            {
                address = address << 8 | bytes[1 + i];
            }
            var payload = bytes.AsSpan(1 + addressBytes, bytes.Length - 2 - addressBytes);
            switch (type)
            {
                case '1' or '2' or '3':
                    builder.Add(address, payload, where);
                    dataRecords++;
                    break;
                case '5' or '6':
                    if ((ulong)dataRecords != address)
                    {
                        throw new FirmwareFormatException(file, where, $"record count {address} does not match the {dataRecords} data records before it");
                    }
                    break;
                case '7' or '8' or '9':
                    entry = address;
                    ended = true;
                    break;
            }
        }
        if (!ended)
        {
            throw new FirmwareFormatException(file, "end", "truncated: no termination (S7/S8/S9) record");
        }
        return new FirmwareImage(file, FirmwareFormat.Srec, builder.Segments, entry);
    }
}
