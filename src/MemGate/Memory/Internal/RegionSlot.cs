using MemGate.Memory.Backing;

namespace MemGate.Memory.Internal;

/// <summary>A region as the access path sees it: bounds, host pointer and the permission bits the fast path may use.</summary>
internal sealed class RegionSlot
{
    // Bit indices into FastBits (and the flat mode's bitmaps); 1 << index matches Permissions.
    public const int ReadBit = 0;
    public const int WriteBit = 1;
    public const int ExecuteBit = 2;
    public const int HostBit = 3;      // plain host memory: the debug path may use the pointer
    public const int MmioBit = 4;      // a live handler region: aligned scalar accesses may call it directly
    public const int WitnessBit = 5;   // writes take the slow path, which reports them to the memory's WriteWitness

    public RegionSlot(GuestRegion region, nint host, HostBacking? backing)
    {
        Region = region;
        Start = region.Start.Value;
        Length = region.Size;
        Host = host;
        Backing = backing;
        FastBits = host != 0 ? (byte)((byte)region.Permissions | (1 << HostBit))
            : region.Handler is not null ? (byte)(1 << MmioBit) : (byte)0;
    }

    /// <summary>A slot that matches no address (Length 0): the initial last-hit cache.</summary>
    public static RegionSlot Empty { get; } = new();

    private RegionSlot()
    {
        Region = null!;
    }

    public GuestRegion Region { get; }

    public ulong Start { get; }

    public ulong Length { get; }

    /// <summary>Host address of <see cref="Start"/>; 0 for MMIO.</summary>
    public nint Host { get; }

    /// <summary>The slot's own host memory (region-table mode); null in the flat mode or for MMIO.</summary>
    public HostBacking? Backing { get; }

    /// <summary>Permission bits for the fast path; cleared to 0 when the region is removed so stale caches miss.</summary>
    public byte FastBits;
}
