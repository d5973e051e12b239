namespace MemGate.Memory.Backing;

/// <summary>The default provider: private anonymous memory (<see cref="AnonymousBacking"/>).</summary>
public sealed class AnonymousBackingProvider : IBackingProvider
{
    /// <summary>The shared instance (huge pages on).</summary>
    public static AnonymousBackingProvider Instance { get; } = new();

    /// <summary>
    /// Back ranges of 2 MiB or more with transparent huge pages (the default): snapshots of large RAM restore
    /// much faster, but the guest's first touch of each 2 MiB makes all of it resident. Turn it off to pay
    /// resident memory 4 KiB at a time.
    /// </summary>
    public bool HugePages { get; init; } = true;

    /// <inheritdoc />
    public HostBacking Reserve(ulong length) => AnonymousBacking.Reserve(length, HugePages);
}
