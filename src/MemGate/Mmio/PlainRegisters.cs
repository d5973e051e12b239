using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// Registers with no behaviour: a read returns what was last written, or zero. This is how a peripheral
/// without a model behaves, and how a register file without a CPU looks.
/// </summary>
/// <remarks>
/// Storage is sparse (4 KiB pages made on first write) because peripheral windows are large and
/// mostly empty: a PCIe window of 1 GiB costs nothing until firmware writes into it. Accesses are
/// naturally aligned and at most 8 bytes (the memory splits others), so one never spans two pages.
/// Like every register model, it expects one bus master at a time (accesses are not synchronised).
/// </remarks>
public sealed class PlainRegisters : IMmioHandler
{
    private const int PageShift = 12;
    private const int PageSize = 1 << PageShift;

    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly bool _bigEndian;

    /// <summary>Creates <paramref name="size"/> bytes of registers, all zero, in <paramref name="order"/>.</summary>
    public PlainRegisters(ulong size, ByteOrder order = ByteOrder.LittleEndian)
    {
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "A register block needs at least one byte.");
        }
        Size = size;
        _bigEndian = order == ByteOrder.BigEndian;
    }

    /// <summary>Size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Bytes of storage in use (whole pages that were written).</summary>
    public ulong StoredBytes => (ulong)_pages.Count * PageSize;

    /// <summary>Sets every register back to zero.</summary>
    public void Reset() => _pages.Clear();

    /// <summary>Writes the registers' values (the pages written so far), for a machine snapshot.</summary>
    public void SaveState(StateWriter writer)
    {
        writer.Write(_pages.Count);
        foreach (var (index, page) in _pages.OrderBy(p => p.Key))
        {
            writer.Write(index);
            writer.Write(page);
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote.</summary>
    public void RestoreState(StateReader reader)
    {
        _pages.Clear();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            ulong index = reader.ReadUInt64();
            var page = new byte[PageSize];
            reader.Read(page);
            if (index >= (Size + PageSize - 1) >> PageShift)
            {
                throw new InvalidDataException($"Model state does not match this machine: a page of plain registers at offset 0x{index << PageShift:X} is beyond their 0x{Size:X} bytes.");
            }
            _pages[index] = page;
        }
    }

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        Check(offset, size);
        if (!_pages.TryGetValue(offset >> PageShift, out byte[]? page))
        {
            return 0;
        }
        var bytes = page.AsSpan((int)(offset & (PageSize - 1)), size);
        ulong value = 0;
        for (int i = 0; i < size; i++)
        {
            value |= (ulong)bytes[i] << (8 * (_bigEndian ? size - 1 - i : i));
        }
        return value;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        Check(offset, size);
        if (!_pages.TryGetValue(offset >> PageShift, out byte[]? page))
        {
            page = new byte[PageSize];
            _pages[offset >> PageShift] = page;
        }
        var bytes = page.AsSpan((int)(offset & (PageSize - 1)), size);
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(value >> (8 * (_bigEndian ? size - 1 - i : i)));
        }
    }

    private void Check(ulong offset, int size)
    {
        if (size is not (1 or 2 or 4 or 8) || (offset & (ulong)(size - 1)) != 0 || offset >= Size || Size - offset < (ulong)size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Register access of {size} bytes at offset 0x{offset:X} is not a naturally aligned access inside the 0x{Size:X}-byte block.");
        }
    }
}
