using System.Buffers.Binary;
using System.Text;

namespace MemGate.Mmio;

/// <summary>
/// Reads back what a <see cref="StateWriter"/> wrote, in the same order. Anything that does not fit (another
/// model's name where this one's is expected, an array of another length, the end of the bytes) throws
/// <see cref="InvalidDataException"/> naming the model, so restoring another machine's state fails clearly.
/// </summary>
/// <param name="bytes">The state.</param>
public sealed class StateReader(ReadOnlyMemory<byte> bytes)
{
    private int _position;
    private string _model = "(start)";

    /// <summary>Whether every byte was read.</summary>
    public bool AtEnd => _position == bytes.Length;

    /// <summary>Expects the start of the state of the model called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">The state holds another model here.</exception>
    public void Begin(string name)
    {
        int length = ReadInt32();
        if (length < 0 || length > bytes.Length - _position)
        {
            throw Mismatch($"expected the state of '{name}', found no model name");
        }
        string found = Encoding.UTF8.GetString(Take(length));
        if (found != name)
        {
            // Names are short words; a damaged state shows its bytes escaped and cut, not as control characters.
            string shown = found.Length <= 64 && found.All(c => !char.IsControl(c)) ? found
                : string.Concat(found.Take(32).Select(c => char.IsControl(c) || c > '~' ? $"\\x{(int)c:X2}" : c.ToString())) + (found.Length > 32 ? $"… ({length} bytes)" : "");
            throw Mismatch($"expected the state of '{name}', found '{shown}'");
        }
        _model = name;
    }

    /// <summary>Reads a 64-bit value.</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a 32-bit value.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads a flag.</summary>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Reads bytes of any count.</summary>
    public byte[] ReadBytes() => Take(Count(1)).ToArray();

    /// <summary>Reads bytes into <paramref name="into"/>, which must have the count written.</summary>
    public void Read(Span<byte> into) => Take(Exactly(into.Length, 1)).CopyTo(into);

    /// <summary>Reads 64-bit values into <paramref name="into"/>, which must have the count written.</summary>
    public void Read(Span<ulong> into)
    {
        Exactly(into.Length, 8);
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = ReadUInt64();
        }
    }

    /// <summary>Reads 32-bit values into <paramref name="into"/>, which must have the count written.</summary>
    public void Read(Span<int> into)
    {
        Exactly(into.Length, 4);
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = ReadInt32();
        }
    }

    /// <summary>Reads flags into <paramref name="into"/>, which must have the count written.</summary>
    public void Read(Span<bool> into)
    {
        var span = Take(Exactly(into.Length, 1));
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = span[i] != 0;
        }
    }

    /// <summary>Requires that every byte was read (a longer state belongs to another machine).</summary>
    /// <exception cref="InvalidDataException">Bytes are left.</exception>
    public void End()
    {
        if (!AtEnd)
        {
            throw Mismatch($"{bytes.Length - _position} bytes of state are left over");
        }
    }

    private int Count(int elementSize)
    {
        int count = ReadInt32();
        if (count < 0 || (long)count * elementSize > bytes.Length - _position)
        {
            throw Mismatch($"an array of {count} entries does not fit in the state");
        }
        return count;
    }

    private int Exactly(int expected, int elementSize)
    {
        int count = Count(elementSize);
        if (count != expected)
        {
            throw Mismatch($"an array holds {count} entries where this machine has {expected}");
        }
        return count * elementSize;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > bytes.Length - _position)
        {
            throw Mismatch("the state ends early");
        }
        var span = bytes.Span.Slice(_position, length);
        _position += length;
        return span;
    }

    private InvalidDataException Mismatch(string what) => new($"Model state does not match this machine (in '{_model}'): {what}.");
}
