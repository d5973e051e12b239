namespace MemGate.Mmio;

/// <summary>
/// The bytes unmodelled MMIO reads are served from under <see cref="UnmodelledAccessPolicy.Input"/>, in the
/// order the firmware reads (Fuzzware's model: an N-byte read takes the next N bytes, little-endian). When
/// fewer bytes remain than a read needs, the read throws <see cref="MmioInputExhaustedException"/> and the run ends.
/// </summary>
/// <param name="bytes">The input, e.g. a fuzzer's test case.</param>
public sealed class MmioInput(ReadOnlyMemory<byte> bytes)
{
    private ReadOnlyMemory<byte> _bytes = bytes;

    /// <summary>Bytes taken so far.</summary>
    public int Consumed { get; private set; }

    /// <summary>Bytes left.</summary>
    public int Remaining => _bytes.Length - Consumed;

    /// <summary>Starts again from the first byte (each run from reset does).</summary>
    public void Rewind() => Consumed = 0;

    /// <summary>Starts over with other bytes (the next fuzzing input).</summary>
    public void Replace(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        Consumed = 0;
    }

    /// <summary>The next <paramref name="size"/> bytes as a little-endian value, for a read at <paramref name="address"/>.</summary>
    /// <exception cref="MmioInputExhaustedException">Fewer than <paramref name="size"/> bytes are left.</exception>
    public ulong Take(int size, ulong address)
    {
        if (size > Remaining)
        {
            throw new MmioInputExhaustedException(address, size, Consumed);
        }
        ulong value = 0;
        var span = _bytes.Span.Slice(Consumed, size);
        for (int i = 0; i < size; i++)
        {
            value |= (ulong)span[i] << (8 * i);
        }
        Consumed += size;
        return value;
    }
}
