namespace MemGate.Memory;

/// <summary>No region is mapped at the accessed address.</summary>
public sealed class GuestUnmappedException : GuestMemoryException
{
    /// <summary>Creates the exception for an access that found nothing at <paramref name="address"/>.</summary>
    public GuestUnmappedException(AccessKind access, GuestAddress address, ulong size)
        : base(GuestFault.Unmapped, access, address, size, null,
            $"{Describe(access, address, size)}: no region is mapped at {address}.")
    {
    }
}
