namespace MemGate.Memory;

/// <summary>
/// One region of guest memory: a name, where it sits in which address space, how large it is, what
/// the guest may do with it and what kind of memory it is. Immutable and validated on construction;
/// <see cref="GuestMemory.AddRegion"/> gives it host memory (or, for MMIO, its handler).
/// </summary>
public sealed class GuestRegion
{
    /// <summary>Describes a region; throws <see cref="ArgumentException"/> for an empty name, zero size or an end past 2^64.</summary>
    public GuestRegion(string name, GuestAddress start, ulong size, Permissions permissions, RegionKind kind,
        int space = 0, IMmioHandler? handler = null)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A region needs a name.", nameof(name));
        }
        if (size == 0)
        {
            throw new ArgumentException($"Region '{name}' at {start} has size 0.", nameof(size));
        }
        if (size - 1 > ulong.MaxValue - start.Value)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"Region '{name}' at {start} with size 0x{size:X} runs past the end of the 64-bit address range.");
        }
        if ((permissions & ~Permissions.All) != 0)
        {
            throw new ArgumentException($"Region '{name}': invalid permission bits 0x{(byte)permissions:X}.", nameof(permissions));
        }
        if (handler is not null && kind != RegionKind.Mmio)
        {
            throw new ArgumentException($"Region '{name}' is {kind}; only MMIO regions take a handler.", nameof(handler));
        }
        Name = name;
        Start = start;
        Size = size;
        Permissions = permissions;
        Kind = kind;
        Space = space;
        Handler = handler;
    }

    /// <summary>Plain RAM, read-write.</summary>
    public static GuestRegion Ram(string name, ulong start, ulong size, int space = 0) =>
        new(name, new GuestAddress(start), size, Permissions.ReadWrite, RegionKind.Ram, space);

    /// <summary>Flash, read-execute for the guest (loaders write it through <see cref="GuestMemory.Debug"/>).</summary>
    public static GuestRegion Flash(string name, ulong start, ulong size, int space = 0) =>
        new(name, new GuestAddress(start), size, Permissions.ReadExecute, RegionKind.Flash, space);

    /// <summary>An MMIO region served by <paramref name="handler"/>.</summary>
    public static GuestRegion Mmio(string name, ulong start, ulong size, IMmioHandler handler, Permissions permissions = Permissions.ReadWrite, int space = 0) =>
        new(name, new GuestAddress(start), size, permissions, RegionKind.Mmio, space, handler);

    /// <summary>The region's name, unique within a memory.</summary>
    public string Name { get; }

    /// <summary>First guest address.</summary>
    public GuestAddress Start { get; }

    /// <summary>Size in bytes (at least 1).</summary>
    public ulong Size { get; }

    /// <summary>Last guest address (inclusive); never overflows.</summary>
    public GuestAddress Last => new(Start.Value + (Size - 1));

    /// <summary>What the guest may do here.</summary>
    public Permissions Permissions { get; }

    /// <summary>What kind of memory this is.</summary>
    public RegionKind Kind { get; }

    /// <summary>The address space the region belongs to (AVR parts have separate program and data spaces).</summary>
    public int Space { get; }

    /// <summary>The MMIO handler, for <see cref="RegionKind.Mmio"/> regions.</summary>
    public IMmioHandler? Handler { get; }

    /// <summary>True when the region is backed by host memory (everything but MMIO).</summary>
    public bool HasHostMemory => Kind != RegionKind.Mmio;

    /// <summary>True if <paramref name="address"/> lies inside the region.</summary>
    public bool Contains(GuestAddress address) => address.Value >= Start.Value && address.Value - Start.Value < Size;

    /// <summary>True if the two regions share at least one address (regardless of space).</summary>
    public bool Overlaps(GuestRegion other) => Start.Value <= other.Last.Value && other.Start.Value <= Last.Value;

    /// <inheritdoc />
    public override string ToString() =>
        $"'{Name}' [{Start}–{Last}] {PermissionsText.ToRwx(Permissions)} {Kind.ToString().ToLowerInvariant()}";
}
