namespace MemGate.Firmware;

/// <summary>
/// Reads Intel HEX: data (00), end of file (01), extended segment address (02), start segment
/// address (03), extended linear address (04) and start linear address (05) records, each checksum
/// verified. Consecutive data records are merged into one segment.
/// </summary>
public static class IntelHexReader
{
    /// <summary>Reads Intel HEX text; <paramref name="file"/> names it in errors.</summary>
    public static FirmwareImage Read(string text, string file)
    {
        var builder = new SegmentBuilder();
        ulong upper = 0;        // from type 02 (segment << 4) or 04 (linear << 16)
        ulong? entry = null;
        bool ended = false;
        foreach (var (line, where) in RecordText.Lines(text))
        {
            if (ended)
            {
                throw new FirmwareFormatException(file, where, "record after the end-of-file record");
            }
            byte[] record = Decode(line, file, where);
            int count = record[0];
            if (record.Length != count + 5)
            {
                throw new FirmwareFormatException(file, where, $"byte count {count} does not match the record's {record.Length - 5} data bytes");
            }
            byte sum = 0;
            foreach (byte b in record)
            {
                sum += b;
            }
            if (sum != 0)
            {
                byte expected = (byte)(record[^1] - sum);
                throw new FirmwareFormatException(file, where, $"checksum 0x{record[^1]:X2} is wrong (0x{expected:X2} expected)");
            }
            ulong offset = (ulong)(record[1] << 8 | record[2]);
            var payload = record.AsSpan(4, count);
            switch (record[3])
            {
                case 0x00:
                    builder.Add(upper + offset, payload, where);
                    break;
                case 0x01:
                    ended = true;
                    break;
                case 0x02:
                    Expect(count, 2, file, where);
                    upper = (ulong)(payload[0] << 8 | payload[1]) << 4;
                    break;
                case 0x03:
                    Expect(count, 4, file, where);
                    entry = ((ulong)(payload[0] << 8 | payload[1]) << 4) + (ulong)(payload[2] << 8 | payload[3]);  // CS:IP
                    break;
                case 0x04:
                    Expect(count, 2, file, where);
                    upper = (ulong)(payload[0] << 8 | payload[1]) << 16;
                    break;
                case 0x05:
                    Expect(count, 4, file, where);
                    entry = (ulong)payload[0] << 24 | (ulong)payload[1] << 16 | (ulong)payload[2] << 8 | payload[3];
                    break;
                default:
                    throw new FirmwareFormatException(file, where, $"unknown record type 0x{record[3]:X2}");
            }
        }
        if (!ended)
        {
            throw new FirmwareFormatException(file, "end", "truncated: no end-of-file (01) record");
        }
        return new FirmwareImage(file, FirmwareFormat.IntelHex, builder.Segments, entry);
    }

    private static byte[] Decode(string line, string file, string where)
    {
        if (line[0] != ':' || line.Length < 11 || (line.Length - 1) % 2 != 0)
        {
            throw new FirmwareFormatException(file, where, $"'{RecordText.Shorten(line)}' is not an Intel HEX record (':' and an even number of hex digits)");
        }
        return RecordText.Bytes(line, 1, file, where);
    }

    private static void Expect(int count, int wanted, string file, string where)
    {
        if (count != wanted)
        {
            throw new FirmwareFormatException(file, where, $"this record type carries {wanted} bytes, not {count}");
        }
    }

}
