using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// Cortex-M bit-banding: word n of the alias is bit (n mod 8) of byte n / 8 of the target, so alias
/// offset = byte offset × 32 + bit × 4. Reads return 0 or 1; writes set or clear the bit from the value's
/// lowest bit with a read-modify-write of the target byte (ARMv7-M ARM, "Bit-banding").
/// </summary>
public sealed class BitBandHandler(GuestMemory memory, GuestAddress target) : IMemoryWindow
{
    /// <inheritdoc/>
    public bool ShowsMemoryOnly(ulong offset, ulong length) => length > 0 && memory.IsHostMemory(target + (offset >> 5), ((offset + length - 1) >> 5) - (offset >> 5) + 1);

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        var (address, bit) = Locate(offset);
        return (ulong)(memory.Debug.ReadByte(address) >> bit) & 1;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        var (address, bit) = Locate(offset);
        byte old = memory.Debug.ReadByte(address);
        byte updated = (value & 1) != 0 ? (byte)(old | (1 << bit)) : (byte)(old & ~(1 << bit));
        memory.Debug.WriteByte(address, updated);
    }

    private (GuestAddress Address, int Bit) Locate(ulong offset) => (target + (offset >> 5), (int)((offset >> 2) & 7));
}
