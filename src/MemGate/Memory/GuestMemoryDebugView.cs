using System.Numerics;

namespace MemGate.Memory;

/// <summary>
/// The loader's and debugger's view of a <see cref="GuestMemory"/>: the same accesses, but permissions
/// are not checked, so firmware can be written into flash and ROM. Holes, MMIO handlers and the
/// guest's byte order still apply. Obtain it from <see cref="GuestMemory.Debug"/>.
/// </summary>
public readonly struct GuestMemoryDebugView
{
    private readonly GuestMemory _memory;

    internal GuestMemoryDebugView(GuestMemory memory) => _memory = memory;

    /// <summary>Reads bytes, ignoring permissions.</summary>
    public void Read(GuestAddress address, Span<byte> destination) => _memory.ReadCore(address.Value, destination, AccessKind.Read, check: false);

    /// <summary>Writes bytes, ignoring permissions (e.g. loading flash). Checked whole first: a failing write changes nothing.</summary>
    public void Write(GuestAddress address, ReadOnlySpan<byte> source) => _memory.WriteCore(address.Value, source, check: false);

    /// <summary>Reads a byte.</summary>
    public byte ReadByte(GuestAddress address) => _memory.ReadScalar<byte>(address.Value, check: false);

    /// <summary>Reads a 16-bit value in the guest's byte order.</summary>
    public ushort ReadUInt16(GuestAddress address) => _memory.Order(_memory.ReadScalar<ushort>(address.Value, check: false));

    /// <summary>Reads a 32-bit value in the guest's byte order.</summary>
    public uint ReadUInt32(GuestAddress address) => _memory.Order(_memory.ReadScalar<uint>(address.Value, check: false));

    /// <summary>Reads a 64-bit value in the guest's byte order.</summary>
    public ulong ReadUInt64(GuestAddress address) => _memory.Order(_memory.ReadScalar<ulong>(address.Value, check: false));

    /// <summary>Writes a byte.</summary>
    public void WriteByte(GuestAddress address, byte value) => _memory.WriteScalar(address.Value, value, check: false);

    /// <summary>Writes a 16-bit value in the guest's byte order.</summary>
    public void WriteUInt16(GuestAddress address, ushort value) => _memory.WriteScalar(address.Value, _memory.Order(value), check: false);

    /// <summary>Writes a 32-bit value in the guest's byte order.</summary>
    public void WriteUInt32(GuestAddress address, uint value) => _memory.WriteScalar(address.Value, _memory.Order(value), check: false);

    /// <summary>Writes a 64-bit value in the guest's byte order.</summary>
    public void WriteUInt64(GuestAddress address, ulong value) => _memory.WriteScalar(address.Value, _memory.Order(value), check: false);

    /// <summary>Reads an unmanaged value as raw bytes.</summary>
    public T Read<T>(GuestAddress address) where T : unmanaged => _memory.ReadScalar<T>(address.Value, check: false);

    /// <summary>Writes an unmanaged value as raw bytes.</summary>
    public void Write<T>(GuestAddress address, T value) where T : unmanaged => _memory.WriteScalar(address.Value, value, check: false);

    /// <summary>Reads an integer in the given byte order, ignoring permissions.</summary>
    public T Read<T>(GuestAddress address, ByteOrder order) where T : unmanaged, IBinaryInteger<T>
    {
        T raw = _memory.ReadScalar<T>(address.Value, check: false);
        return order == ByteOrder.BigEndian ? GuestMemory.SwapBytes(raw) : raw;
    }

    /// <summary>Writes an integer in the given byte order, ignoring permissions.</summary>
    public void Write<T>(GuestAddress address, T value, ByteOrder order) where T : unmanaged, IBinaryInteger<T> =>
        _memory.WriteScalar(address.Value, order == ByteOrder.BigEndian ? GuestMemory.SwapBytes(value) : value, check: false);
}
