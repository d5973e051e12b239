using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// An MMIO region shared by several peripherals (an APB bus): each access goes to the register block
/// that covers it; offsets nobody covers follow the device's <see cref="UnmodelledAccessPolicy"/>, or
/// behave as plain registers when <paramref name="plainFallback"/> is set.
/// </summary>
/// <param name="name">The region's name.</param>
/// <param name="size">Bytes the region spans.</param>
/// <param name="baseAddress">Guest address of offset 0.</param>
/// <param name="policy">What accesses outside every block do when there is no plain fallback.</param>
/// <param name="plainFallback">Serve uncovered offsets as plain registers (reads return what was written).</param>
/// <param name="order">The CPU's byte order (for the plain fallback).</param>
/// <param name="log">Receives a line per unmodelled access under the non-faulting policies.</param>
/// <param name="input">Serves unmodelled reads under <see cref="UnmodelledAccessPolicy.Input"/>.</param>
/// <param name="programCounter">The PC of the instruction accessing, for input models keyed by access site.</param>
public sealed class PeripheralBus(string name, ulong size, ulong baseAddress, UnmodelledAccessPolicy policy, bool plainFallback,
    ByteOrder order = ByteOrder.LittleEndian, Action<string>? log = null, MmioInput? input = null, Func<ulong>? programCounter = null) : IMmioHandler, IRegisterNames, IQuietReads
{
    private readonly List<(ulong Offset, ulong Size, IMmioHandler Handler, string Name)> _devices = [];
    private readonly PlainRegisters? _plain = plainFallback ? new PlainRegisters(size, order) : null;
    private readonly List<UnmodelledAccess> _unmodelled = [];

    /// <summary>The region's name.</summary>
    public string Name { get; } = name;

    /// <summary>Guest address of offset 0.</summary>
    public ulong BaseAddress { get; } = baseAddress;

    /// <summary>The attached peripherals: offset in the region, size, handler, name.</summary>
    public IReadOnlyList<(ulong Offset, ulong Size, IMmioHandler Handler, string Name)> Devices => _devices;

    /// <summary>Unmodelled accesses seen under <see cref="UnmodelledAccessPolicy.Record"/>.</summary>
    public IReadOnlyList<UnmodelledAccess> Unmodelled => _unmodelled;

    /// <inheritdoc/>
    /// <remarks>Quiet where one attached peripheral covers the whole read and says its reads are.</remarks>
    public bool ReadsQuietly(ulong offset, ulong length)
    {
        foreach (var (at, span, handler, _) in _devices)
        {
            if (offset >= at && offset - at < span)
            {
                return length <= span - (offset - at) && handler is IQuietReads quiet && quiet.ReadsQuietly(offset - at, length);
            }
        }
        return false;
    }

    /// <summary>Writes what the region's plain registers hold (nothing without the plain fallback), for a machine snapshot.</summary>
    public void SaveState(StateWriter writer)
    {
        writer.Begin(Name);
        writer.Write(_plain is not null);
        _plain?.SaveState(writer);
    }

    /// <summary>
    /// Reads back what <see cref="SaveState"/> wrote. State saved where the region's unmodelled registers were plain
    /// and restored where they take MMIO input (a snapshot of a plain run, fuzzed) is dropped, as every read of them
    /// takes input; the other way round (which the command line refuses: such a file needs an input) they start as zeros.
    /// </summary>
    public void RestoreState(StateReader reader)
    {
        reader.Begin(Name);
        bool saved = reader.ReadBoolean();
        if (saved)
        {
            (_plain ?? new PlainRegisters(size, order)).RestoreState(reader);
        }
        else
        {
            _plain?.Reset();
        }
    }

    /// <summary>Attaches a handler for [offset, offset + size); rejects overlaps with the names of both.</summary>
    public void Attach(ulong offset, ulong length, IMmioHandler handler, string peripheral)
    {
        if (length == 0 || offset >= size || size - offset < length)
        {
            throw new ArgumentException($"Peripheral '{peripheral}' [0x{BaseAddress + offset:X}, size 0x{length:X}] does not fit in region '{Name}' [0x{BaseAddress:X}, size 0x{size:X}].");
        }
        foreach (var d in _devices)
        {
            if (offset < d.Offset + d.Size && d.Offset < offset + length)
            {
                throw new ArgumentException($"Peripheral '{peripheral}' at 0x{BaseAddress + offset:X} overlaps '{d.Name}' at 0x{BaseAddress + d.Offset:X} in region '{Name}'.");
            }
        }
        _devices.Add((offset, length, handler, peripheral));
        _devices.Sort((a, b) => a.Offset.CompareTo(b.Offset));
    }

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        int i = Find(offset);
        if (i >= 0 && offset + (ulong)size <= _devices[i].Offset + _devices[i].Size)
        {
            return _devices[i].Handler.Read(offset - _devices[i].Offset, size);
        }
        if (i < 0 && NoDeviceIn(offset, size))
        {
            if (_plain is not null)
            {
                return _plain.Read(offset, size);
            }
            return ReadUnmodelled(offset, size);   // one access, as the CPU made it
        }
        // Rare: the access spans a device edge or a gap under a policy; split it into bytes.
        ulong value = 0;
        for (int k = 0; k < size; k++)
        {
            value |= ReadByte(offset + (ulong)k) << (8 * (order == ByteOrder.BigEndian ? size - 1 - k : k));
        }
        return value;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        int i = Find(offset);
        if (i >= 0 && offset + (ulong)size <= _devices[i].Offset + _devices[i].Size)
        {
            _devices[i].Handler.Write(offset - _devices[i].Offset, size, value);
            return;
        }
        if (i < 0 && NoDeviceIn(offset, size))
        {
            if (_plain is not null)
            {
                _plain.Write(offset, size, value);
            }
            else
            {
                HandleUnmodelled(offset, size, isWrite: true, value);
            }
            return;
        }
        for (int k = 0; k < size; k++)
        {
            WriteByte(offset + (ulong)k, (value >> (8 * (order == ByteOrder.BigEndian ? size - 1 - k : k))) & 0xFF);
        }
    }

    /// <inheritdoc/>
    public (string? Peripheral, string? Register) Describe(ulong offset)
    {
        int i = Find(offset);
        if (i < 0)
        {
            return (null, null);
        }
        var d = _devices[i];
        string? register = d.Handler is IRegisterNames names ? names.Describe(offset - d.Offset).Register : null;
        return (d.Name, register);
    }

    private ulong ReadByte(ulong at)
    {
        int i = Find(at);
        if (i >= 0)
        {
            return _devices[i].Handler.Read(at - _devices[i].Offset, 1);
        }
        if (_plain is not null)
        {
            return _plain.Read(at, 1);
        }
        return ReadUnmodelled(at, 1);
    }

    private void WriteByte(ulong at, ulong value)
    {
        int i = Find(at);
        if (i >= 0)
        {
            _devices[i].Handler.Write(at - _devices[i].Offset, 1, value);
        }
        else if (_plain is not null)
        {
            _plain.Write(at, 1, value);
        }
        else
        {
            HandleUnmodelled(at, 1, isWrite: true, value);
        }
    }

    private ulong ReadUnmodelled(ulong at, int size)
    {
        if (policy == UnmodelledAccessPolicy.Input)
        {
            // No input given is an empty one: the first such read ends the run.
            return input?.Read(BaseAddress + at, size, programCounter?.Invoke() ?? 0) ?? throw new MmioInputExhaustedException(BaseAddress + at, size, 0);
        }
        HandleUnmodelled(at, size, isWrite: false, 0);
        return 0;
    }

    private void HandleUnmodelled(ulong at, int size, bool isWrite, ulong value)
    {
        switch (policy)
        {
            case UnmodelledAccessPolicy.Input:
                input?.Write(BaseAddress + at, value);   // kept only where a passthrough model says so; reads go through ReadUnmodelled
                return;
            case UnmodelledAccessPolicy.Fault:
                throw new GuestMemoryException(GuestFault.NoRegister, isWrite ? AccessKind.Write : AccessKind.Read, new GuestAddress(BaseAddress + at), (ulong)size, Name,
                    $"{(isWrite ? "Write to" : "Read of")} 0x{BaseAddress + at:X}: no peripheral is modelled there in region '{Name}'.");
            case UnmodelledAccessPolicy.Record:
                _unmodelled.Add(new UnmodelledAccess(at, size, isWrite, value));
                break;
        }
        log?.Invoke($"{Name}: unmodelled {size}-byte {(isWrite ? $"write of 0x{value:X} to" : "read of")} 0x{BaseAddress + at:X}; {(isWrite ? "ignored" : "reads as 0")}");
    }

    private bool NoDeviceIn(ulong offset, int size) => Find(offset + (ulong)size - 1) < 0 && !_devices.Exists(d => d.Offset > offset && d.Offset < offset + (ulong)size);

    private int Find(ulong offset)
    {
        int lo = 0;
        int hi = _devices.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (_devices[mid].Offset <= offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        int i = lo - 1;
        return i >= 0 && offset - _devices[i].Offset < _devices[i].Size ? i : -1;
    }
}
