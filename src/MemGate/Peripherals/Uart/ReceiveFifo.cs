namespace MemGate.Peripherals.Uart;

/// <summary>A UART's receive FIFO: bytes wait in arrival order up to a depth; one that finds it full is dropped (the caller flags the overrun).</summary>
internal sealed class ReceiveFifo(int depth)
{
    private readonly Queue<byte> _bytes = new();

    /// <summary>Bytes waiting.</summary>
    public int Count => _bytes.Count;

    /// <summary>Whether the next byte would be dropped.</summary>
    public bool IsFull => _bytes.Count >= depth;

    /// <summary>Adds <paramref name="value"/>; false (nothing kept) when the FIFO is full.</summary>
    public bool TryAdd(byte value)
    {
        if (_bytes.Count >= depth)
        {
            return false;
        }
        _bytes.Enqueue(value);
        return true;
    }

    /// <summary>The oldest byte, or 0 when none waits (what the data register reads then).</summary>
    public ulong Take() => _bytes.TryDequeue(out byte b) ? b : 0UL;

    public void Clear() => _bytes.Clear();

    /// <summary>The waiting bytes, for a machine snapshot.</summary>
    public byte[] Save() => _bytes.ToArray();

    /// <summary>Puts back what <see cref="Save"/> returned.</summary>
    public void Restore(byte[] saved)
    {
        _bytes.Clear();
        foreach (byte b in saved)
        {
            _bytes.Enqueue(b);
        }
    }
}
