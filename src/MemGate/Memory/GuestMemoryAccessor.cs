using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MemGate.Memory.Internal;

namespace MemGate.Memory;

/// <summary>
/// Checked scalar access to a <see cref="GuestMemory"/> for hot loops (a CPU model's loads and stores,
/// a device's DMA). It holds what a check needs (host base and a byte of permission bits per page, or the
/// region-table mode's granule table) so that a caller that keeps it in a local pays one page-bits test or
/// one bounds compare per access; everything else (MMIO, accesses crossing a page or region, faults) goes to the memory's
/// own path, with the same exceptions as <see cref="GuestMemory.ReadUInt32"/>.
/// </summary>
/// <remarks>
/// Methods name their byte order, as <see cref="BinaryPrimitives"/> does, so a little-endian guest's
/// access has no byte-order test; pick by <see cref="GuestMemory.ByteOrder"/> once, outside the loop.
/// The accessor sees added and removed regions at once and faults after the memory is disposed; it is a
/// cheap value: obtain it with <see cref="GuestMemory.GetAccessor"/> (a <c>default</c> one has no memory: accesses through it
/// throw <see cref="NullReferenceException"/>, as the hot path checks nothing it need not).
/// <example><code>
/// var access = memory.GetAccessor();
/// for (ulong a = 0x2000_0000; a &lt; 0x2000_1000; a += 4)
/// {
///     access.WriteUInt32LittleEndian(new GuestAddress(a), access.ReadUInt32LittleEndian(new GuestAddress(a)) + 1);
/// }
/// </code></example>
/// </remarks>
public readonly unsafe struct GuestMemoryAccessor
{
    private const int PageShift = 12;
    private const ulong PageSize = 1UL << PageShift;
    private const ulong PageMask = PageSize - 1;
    private const int ReadBit = 1 << RegionSlot.ReadBit;
    private const int WriteBit = 1 << RegionSlot.WriteBit;

    private readonly GuestMemory _memory;
    private readonly byte* _flatBase;     // flat mode: host address of guest 0; null in region-table mode
    private readonly byte* _pageBits;     // flat mode: per page, bit 0 read and bit 1 write allowed on the whole page (the memory's own, updated in place)

    internal GuestMemoryAccessor(GuestMemory memory)
    {
        ObjectDisposedException.ThrowIf(memory.IsDisposed, memory);
        _memory = memory;
        _flatBase = (byte*)memory.FlatBaseForAccessor;
        _pageBits = memory.PageBitsForAccessor;
    }

    /// <summary>The memory this accessor reads and writes.</summary>
    public GuestMemory Memory => _memory;

    /// <summary>Reads a byte.</summary>
    public byte ReadByte(GuestAddress address) => Read<byte>(address);

    /// <summary>Reads a little-endian 16-bit value.</summary>
    public ushort ReadUInt16LittleEndian(GuestAddress address) => LittleEndian(Read<ushort>(address));

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public uint ReadUInt32LittleEndian(GuestAddress address) => LittleEndian(Read<uint>(address));

    /// <summary>Reads a little-endian 64-bit value.</summary>
    public ulong ReadUInt64LittleEndian(GuestAddress address) => LittleEndian(Read<ulong>(address));

    /// <summary>Reads a big-endian 16-bit value.</summary>
    public ushort ReadUInt16BigEndian(GuestAddress address) => BigEndian(Read<ushort>(address));

    /// <summary>Reads a big-endian 32-bit value.</summary>
    public uint ReadUInt32BigEndian(GuestAddress address) => BigEndian(Read<uint>(address));

    /// <summary>Reads a big-endian 64-bit value.</summary>
    public ulong ReadUInt64BigEndian(GuestAddress address) => BigEndian(Read<ulong>(address));

    /// <summary>Writes a byte.</summary>
    public void WriteByte(GuestAddress address, byte value) => Write(address, value);

    /// <summary>Writes a little-endian 16-bit value.</summary>
    public void WriteUInt16LittleEndian(GuestAddress address, ushort value) => Write(address, LittleEndian(value));

    /// <summary>Writes a little-endian 32-bit value.</summary>
    public void WriteUInt32LittleEndian(GuestAddress address, uint value) => Write(address, LittleEndian(value));

    /// <summary>Writes a little-endian 64-bit value.</summary>
    public void WriteUInt64LittleEndian(GuestAddress address, ulong value) => Write(address, LittleEndian(value));

    /// <summary>Writes a big-endian 16-bit value.</summary>
    public void WriteUInt16BigEndian(GuestAddress address, ushort value) => Write(address, BigEndian(value));

    /// <summary>Writes a big-endian 32-bit value.</summary>
    public void WriteUInt32BigEndian(GuestAddress address, uint value) => Write(address, BigEndian(value));

    /// <summary>Writes a big-endian 64-bit value.</summary>
    public void WriteUInt64BigEndian(GuestAddress address, ulong value) => Write(address, BigEndian(value));

    /// <summary>Reads an unmanaged value as raw bytes (host order, no byte swapping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>(GuestAddress address) where T : unmanaged
    {
        ulong a = address.Value;
        if (_flatBase != null)
        {
            if (InOnePage(a, sizeof(T)) && (_pageBits[a >> PageShift] & ReadBit) != 0)
            {
                return Unsafe.ReadUnaligned<T>(_flatBase + a);
            }
        }
        else
        {
            ref GranuleEntry entry = ref Entry(a);
            if (sizeof(T) <= GranuleTable.MaxAccess && a - entry.Start < entry.ReadLimit)
            {
                return Unsafe.ReadUnaligned<T>((byte*)unchecked(a + entry.Delta));
            }
        }
        return _memory.ReadScalarSlow<T>(a, check: true);
    }

    /// <summary>Writes an unmanaged value as raw bytes (host order, no byte swapping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(GuestAddress address, T value) where T : unmanaged
    {
        ulong a = address.Value;
        if (_flatBase != null)
        {
            if (InOnePage(a, sizeof(T)) && (_pageBits[a >> PageShift] & WriteBit) != 0)   // off while witnessed: the slow path reports
            {
                Unsafe.WriteUnaligned(_flatBase + a, value);
                return;
            }
        }
        else
        {
            ref GranuleEntry entry = ref Entry(a);
            if (sizeof(T) <= GranuleTable.MaxAccess && a - entry.Start < entry.WriteLimit)   // 0 while witnessed
            {
                Unsafe.WriteUnaligned((byte*)unchecked(a + entry.Delta), value);
                return;
            }
        }
        _memory.WriteScalarSlow(a, value, check: true);
    }

    // Flat mode: below 4 GiB and not crossing a page, in one test. The page bits cover 4 GiB whatever the
    // space's width, with no bit past the space's end, so a narrower space needs no bound of its own.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InOnePage(ulong address, int size) =>
        (ulong)size <= PageSize && (address & (~0UL << 32 | PageMask)) <= PageSize - (ulong)size; // the first test folds away

    // Region-table mode: the granule table as published now (it is replaced whole when regions change).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref GranuleEntry Entry(ulong address) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_memory.GranuleEntries), GranuleTable.Index(address >> GranuleTable.Shift));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T LittleEndian<T>(T value) where T : unmanaged =>
        BitConverter.IsLittleEndian ? value : GuestMemory.SwapBytes(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T BigEndian<T>(T value) where T : unmanaged =>
        BitConverter.IsLittleEndian ? GuestMemory.SwapBytes(value) : value;
}
