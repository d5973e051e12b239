namespace MemGate.Devices;

/// <summary>A peripheral of a device: where its registers sit and which register model serves them, if any.</summary>
/// <param name="Name">Unique name, for example "USART1".</param>
/// <param name="Base">Guest address of its register block.</param>
/// <param name="Size">Length of its register block in bytes.</param>
/// <param name="Space">The name of the address space it lives in.</param>
public sealed record DevicePeripheral(string Name, ulong Base, ulong Size, string Space)
{
    /// <summary>The register model that serves it (a name the peripheral layer resolves), or null for plain registers.</summary>
    public string? Model { get; init; }

    /// <summary>The last address (inclusive).</summary>
    public ulong Last => Base + (Size - 1);
}
