namespace MemGate.Memory;

/// <summary>Why a guest access failed; <see cref="None"/> for success (the <c>Try…</c> methods return it).</summary>
public enum GuestFault : byte
{
    /// <summary>The access succeeded.</summary>
    None,

    /// <summary>No region is mapped at the address.</summary>
    Unmapped,

    /// <summary>The region does not allow this kind of access.</summary>
    PermissionDenied,

    /// <summary>The access starts in a region but runs into unmapped addresses.</summary>
    CrossesHole,

    /// <summary>An atomic access is not naturally aligned.</summary>
    Misaligned,

    /// <summary>The region has no host memory or handler for this access (e.g. an MMIO region without a handler).</summary>
    NoBacking,

    /// <summary>An MMIO access hit a peripheral's range where no register is modelled and the device's policy is to fault.</summary>
    NoRegister,
}
