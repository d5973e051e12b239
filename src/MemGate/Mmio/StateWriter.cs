using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MemGate.Mmio;

/// <summary>
/// Writes a machine's model state (peripheral registers, counters, FIFOs) as bytes, for machine
/// snapshots in memory and in snapshot files. Each model starts with <see cref="Begin"/> naming itself,
/// so a <see cref="StateReader"/> that meets another machine's state says which model did not match.
/// Little-endian, length-prefixed arrays; no field names beyond the models' (the order is the code's).
/// </summary>
public sealed class StateWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>A copy of the bytes written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Marks the start of the state of the model (or part) called <paramref name="name"/>.</summary>
    public void Begin(string name)
    {
        int length = Encoding.UTF8.GetByteCount(name);
        Write(length);
        Encoding.UTF8.GetBytes(name, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    /// <summary>Writes a 64-bit value.</summary>
    public void Write(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>Writes a 32-bit value.</summary>
    public void Write(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    /// <summary>Writes a flag.</summary>
    public void Write(bool value)
    {
        _buffer.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _buffer.Advance(1);
    }

    /// <summary>Writes bytes with their count.</summary>
    public void Write(ReadOnlySpan<byte> values)
    {
        Write(values.Length);
        values.CopyTo(_buffer.GetSpan(values.Length));
        _buffer.Advance(values.Length);
    }

    /// <summary>Writes 64-bit values with their count.</summary>
    public void Write(ReadOnlySpan<ulong> values)
    {
        Write(values.Length);
        foreach (ulong value in values)
        {
            Write(value);
        }
    }

    /// <summary>Writes 32-bit values with their count.</summary>
    public void Write(ReadOnlySpan<int> values)
    {
        Write(values.Length);
        foreach (int value in values)
        {
            Write(value);
        }
    }

    /// <summary>Writes flags with their count.</summary>
    public void Write(ReadOnlySpan<bool> values)
    {
        Write(values.Length);
        var span = _buffer.GetSpan(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            span[i] = values[i] ? (byte)1 : (byte)0;
        }
        _buffer.Advance(values.Length);
    }
}
