using System.Buffers.Binary;
using System.Text;

namespace MemGate.Processes;

/// <summary>
/// The link protocol on a receiver's socket: one request (with the memory object's descriptor
/// attached) and one reply per connection. Little endian, fixed fields, then a short UTF-8 text.
/// </summary>
internal static class LinkMessage
{
    public const uint Magic = 0x314C474D; // "MGL1"
    public const int MaxSize = 512;
    public const uint FixedAddress = 1;   // map exactly at Address or fail
    public const uint Copy = 2;           // a snapshot, not a shared object

    /// <summary>What the linking process asks the receiver to map.</summary>
    public readonly record struct Request(uint Flags, ulong Address, ulong Size, ulong Offset, int Protection, int SourcePid, ulong SourceAddress, string Label);

    /// <summary>The receiver's answer: the address mapped, or an error text.</summary>
    public readonly record struct Reply(bool Ok, ulong Address, string Message);

    public static int Write(Request r, Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], r.Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], r.Address);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[16..], r.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[24..], r.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[32..], r.Protection);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[36..], r.SourcePid);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[40..], r.SourceAddress);
        return 48 + WriteText(r.Label, buffer[48..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> m, out Request r)
    {
        r = default;
        if (m.Length < 50 || BinaryPrimitives.ReadUInt32LittleEndian(m) != Magic || !TryReadText(m[48..], out string label))
        {
            return false;
        }
        r = new Request(BinaryPrimitives.ReadUInt32LittleEndian(m[4..]), BinaryPrimitives.ReadUInt64LittleEndian(m[8..]), BinaryPrimitives.ReadUInt64LittleEndian(m[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[24..]), BinaryPrimitives.ReadInt32LittleEndian(m[32..]), BinaryPrimitives.ReadInt32LittleEndian(m[36..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[40..]), label);
        return true;
    }

    public static int Write(Reply r, Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], r.Ok ? 1u : 0u);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], r.Address);
        return 16 + WriteText(r.Message, buffer[16..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> m, out Reply r)
    {
        r = default;
        if (m.Length < 18 || BinaryPrimitives.ReadUInt32LittleEndian(m) != Magic || !TryReadText(m[16..], out string message))
        {
            return false;
        }
        r = new Reply(BinaryPrimitives.ReadUInt32LittleEndian(m[4..]) == 1, BinaryPrimitives.ReadUInt64LittleEndian(m[8..]), message);
        return true;
    }

    private static int WriteText(string text, Span<byte> buffer)
    {
        // Texts are labels and error messages: cut to what fits rather than fail.
        int room = Math.Min(buffer.Length - 2, MaxSize - 64);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int n = Math.Min(bytes.Length, room);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)n);
        bytes.AsSpan(0, n).CopyTo(buffer[2..]);
        return 2 + n;
    }

    private static bool TryReadText(ReadOnlySpan<byte> m, out string text)
    {
        text = "";
        int n = BinaryPrimitives.ReadUInt16LittleEndian(m);
        if (m.Length < 2 + n)
        {
            return false;
        }
        text = Encoding.UTF8.GetString(m.Slice(2, n));
        return true;
    }
}
