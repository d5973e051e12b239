namespace MemGate.Devices;

/// <summary>A peripheral of a device: where its registers sit and which register model serves them, if any.</summary>
/// <param name="Name">Unique name, for example "USART1".</param>
/// <param name="Base">Guest address of its register block.</param>
/// <param name="Size">Length of its register block in bytes.</param>
/// <param name="Space">The name of the address space it lives in.</param>
public sealed record DevicePeripheral(string Name, ulong Base, ulong Size, string Space)
{
    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>();

    /// <summary>The model that serves it (a name the peripheral layer resolves, e.g. "stm32-usart"), or null for plain registers.</summary>
    public string? Model { get; init; }

    /// <summary>The interrupt lines it drives, as the interrupt controller numbers them (NVIC: IRQn from 0; GIC: INTID).</summary>
    public IReadOnlyList<int> Irqs { get; init; } = [];

    /// <summary>The model's settings from the file (clock, FIFO depth, …), as written; the peripheral layer checks and converts them.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = NoParameters;

    /// <summary>Where the entry and each of its fields ("" for the entry, "irq", a parameter's name) were written, for errors; empty when built in code.</summary>
    public IReadOnlyDictionary<string, SourceLocation> Locations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>The last address (inclusive).</summary>
    public ulong Last => Base + (Size - 1);

    /// <summary>Equal when everything but the source locations is.</summary>
    public bool Equals(DevicePeripheral? other) =>
        other is not null && Name == other.Name && Base == other.Base && Size == other.Size && Space == other.Space && Model == other.Model
        && Irqs.SequenceEqual(other.Irqs) && Parameters.Count == other.Parameters.Count
        && Parameters.All(p => other.Parameters.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Base, Size, Space, Model, Irqs.Count, Parameters.Count);
}
