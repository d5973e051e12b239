namespace MemGate.Memory.Backing;

/// <summary>Where <see cref="GuestMemory"/> gets its host memory from. Swap it to back guest memory with memfds or snapshot files.</summary>
public interface IBackingProvider
{
    /// <summary>Reserves <paramref name="length"/> bytes, all inaccessible until <see cref="HostBacking.Commit"/>.</summary>
    HostBacking Reserve(ulong length);
}
