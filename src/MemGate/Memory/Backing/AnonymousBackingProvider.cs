namespace MemGate.Memory.Backing;

/// <summary>The default provider: private anonymous memory (<see cref="AnonymousBacking"/>).</summary>
public sealed class AnonymousBackingProvider : IBackingProvider
{
    /// <summary>The shared instance.</summary>
    public static AnonymousBackingProvider Instance { get; } = new();

    /// <inheritdoc />
    public HostBacking Reserve(ulong length) => AnonymousBacking.Reserve(length);
}
