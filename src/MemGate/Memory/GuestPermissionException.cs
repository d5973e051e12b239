namespace MemGate.Memory;

/// <summary>The region exists but does not allow this kind of access (e.g. a store to read-only flash).</summary>
public sealed class GuestPermissionException : GuestMemoryException
{
    /// <summary>Creates the exception for <paramref name="region"/>.</summary>
    public GuestPermissionException(AccessKind access, GuestAddress address, ulong size, GuestRegion region)
        : base(GuestFault.PermissionDenied, access, address, size, region.Name,
            $"{Describe(access, address, size)} denied: region {region} does not allow {access.ToString().ToLowerInvariant()}.")
    {
        Permissions = region.Permissions;
    }

    /// <summary>The region's permissions.</summary>
    public Permissions Permissions { get; }
}
