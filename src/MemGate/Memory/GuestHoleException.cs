namespace MemGate.Memory;

/// <summary>An access starts in mapped memory but runs into a hole; nothing was transferred.</summary>
public sealed class GuestHoleException : GuestMemoryException
{
    /// <summary>Creates the exception; <paramref name="hole"/> is the first unmapped address, after <paramref name="lastRegion"/>.</summary>
    public GuestHoleException(AccessKind access, GuestAddress address, ulong size, GuestAddress hole, GuestRegion lastRegion)
        : base(GuestFault.CrossesHole, access, address, size, lastRegion.Name,
            $"{Describe(access, address, size)} crosses a hole at {hole} after region {lastRegion}; nothing was transferred.")
    {
        Hole = hole;
        MappedBytes = hole.Value - address.Value;
    }

    /// <summary>The first unmapped address the access would touch.</summary>
    public GuestAddress Hole { get; }

    /// <summary>How many bytes from the start of the access are mapped.</summary>
    public ulong MappedBytes { get; }
}
