using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// A second window onto other guest memory (a boot alias, a mirror): an access at offset n is the same
/// access at <c>target + n</c>. The alias region's own permissions were checked by the caller; the target
/// is reached through the debug path so a read-only alias of flash reads flash.
/// </summary>
public sealed class MirrorHandler(GuestMemory memory, GuestAddress target) : IMemoryWindow
{
    /// <summary>The memory the alias shows.</summary>
    public GuestMemory Memory => memory;

    /// <summary>Where in <see cref="Memory"/> the alias's first byte is.</summary>
    public GuestAddress Target => target;

    /// <inheritdoc/>
    public bool ShowsMemoryOnly(ulong offset, ulong length) => memory.IsHostMemory(target + offset, length);

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        var address = target + offset;
        return size switch
        {
            1 => memory.Debug.ReadByte(address),
            2 => memory.Debug.ReadUInt16(address),
            4 => memory.Debug.ReadUInt32(address),
            _ => memory.Debug.ReadUInt64(address),
        };
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        var address = target + offset;
        switch (size)
        {
            case 1: memory.Debug.WriteByte(address, (byte)value); break;
            case 2: memory.Debug.WriteUInt16(address, (ushort)value); break;
            case 4: memory.Debug.WriteUInt32(address, (uint)value); break;
            default: memory.Debug.WriteUInt64(address, value); break;
        }
    }
}
