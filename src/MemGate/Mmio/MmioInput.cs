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
    private readonly Dictionary<ulong, List<MmioInputModel>> _models = [];
    private readonly Dictionary<ulong, ulong> _passthrough = [];   // what passthrough registers hold in this run

    /// <summary>Bytes taken so far.</summary>
    public int Consumed { get; private set; }

    /// <summary>Bytes left.</summary>
    public int Remaining => _bytes.Length - Consumed;

    /// <summary>Starts again from the first byte, passthrough registers at their initial values (each run from reset does).</summary>
    public void Rewind()
    {
        Consumed = 0;
        _passthrough.Clear();
    }

    /// <summary>Answers reads of these addresses as the models say (Fuzzware's <c>mmio_models</c>) instead of with full-width input.</summary>
    public void UseModels(IEnumerable<MmioInputModel> models)
    {
        foreach (var model in models)
        {
            if (!_models.TryGetValue(model.Address, out var list))
            {
                _models[model.Address] = list = [];
            }
            list.Add(model);
        }
    }

    /// <summary>A read of <paramref name="size"/> bytes at <paramref name="address"/> by the instruction at <paramref name="pc"/>: the model's answer, or the next input bytes.</summary>
    /// <exception cref="MmioInputExhaustedException">The answer needs more input than is left.</exception>
    public ulong Read(ulong address, int size, ulong pc)
    {
        if (_models.TryGetValue(address, out var list) && (list.Find(m => m.Pc == pc) ?? list.Find(m => m.Pc is null)) is { } model)
        {
            switch (model.Kind)
            {
                case MmioInputModelKind.Constant:
                    return model.Value;
                case MmioInputModelKind.Passthrough:
                    return _passthrough.TryGetValue(address, out ulong held) ? held : model.Value;
                case MmioInputModelKind.BitExtract:
                    return Take(model.Size, address) << model.LeftShift;
                case MmioInputModelKind.Set when model.Values.Count == 1:
                    return model.Values[0];
                case MmioInputModelKind.Set when model.Values.Count > 1:
                    return model.Values[(int)(Take(1, address) % (ulong)model.Values.Count)];
            }
        }
        return Take(size, address);
    }

    /// <summary>A write to <paramref name="address"/>: kept when a passthrough model covers it (otherwise writes go nowhere).</summary>
    public void Write(ulong address, ulong value)
    {
        if (_models.TryGetValue(address, out var list) && list.Exists(m => m.Kind == MmioInputModelKind.Passthrough))
        {
            _passthrough[address] = value;
        }
    }

    /// <summary>Writes what the passthrough registers hold, for a machine snapshot.</summary>
    public void SaveState(StateWriter writer)
    {
        writer.Write(_passthrough.Count);
        foreach (var (address, value) in _passthrough.OrderBy(p => p.Key))
        {
            writer.Write(address);
            writer.Write(value);
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote (<paramref name="into"/> null: skips it).</summary>
    public static void RestoreState(StateReader reader, MmioInput? into)
    {
        into?._passthrough.Clear();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            ulong address = reader.ReadUInt64();
            ulong value = reader.ReadUInt64();
            if (into is not null)
            {
                into._passthrough[address] = value;
            }
        }
    }

    /// <summary>Starts over with other bytes (the next fuzzing input).</summary>
    public void Replace(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        Rewind();
    }

    /// <summary>The next <paramref name="size"/> bytes as a little-endian value for something other than a read, described by <paramref name="need"/> ("trigger 't' needed 1 byte to …") if they run out.</summary>
    /// <exception cref="MmioInputExhaustedException">Fewer than <paramref name="size"/> bytes are left; its message says what needed them.</exception>
    public ulong Take(int size, string need) =>
        size > Remaining ? throw new MmioInputExhaustedException(need, Consumed) : Take(size, 0UL);

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
