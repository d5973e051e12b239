namespace MemGate.Memory.Backing;

/// <summary>Backs every region with its own memfd (<see cref="SharedMemoryBacking"/>) so other processes can map the guest's memory.</summary>
public sealed class SharedMemoryBackingProvider : IBackingProvider
{
    /// <summary>The shared instance; memfds are named "memgate".</summary>
    public static SharedMemoryBackingProvider Instance { get; } = new();

    /// <inheritdoc />
    public HostBacking Reserve(ulong length) => SharedMemoryBacking.Reserve(length);
}
