namespace MemGate.Memory;

/// <summary>
/// A guest access failed. Carries the facts: the fault, the access kind, the address and size,
/// and the region involved (if any). Subclasses exist for the common faults so callers can catch them by type.
/// </summary>
public class GuestMemoryException : MemGateException
{
    /// <summary>Creates the exception with a ready message.</summary>
    public GuestMemoryException(GuestFault fault, AccessKind access, GuestAddress address, ulong size, string? regionName, string message)
        : base(message)
    {
        Fault = fault;
        Access = access;
        Address = address;
        Size = size;
        RegionName = regionName;
    }

    /// <summary>Why the access failed.</summary>
    public GuestFault Fault { get; }

    /// <summary>Read, write or execute.</summary>
    public AccessKind Access { get; }

    /// <summary>First address of the access.</summary>
    public GuestAddress Address { get; }

    /// <summary>Size of the access in bytes.</summary>
    public ulong Size { get; }

    /// <summary>The region involved, when there is one.</summary>
    public string? RegionName { get; }

    internal static string Describe(AccessKind access, GuestAddress address, ulong size) =>
        $"{access} of {size} byte{(size == 1 ? "" : "s")} at {address}";
}
