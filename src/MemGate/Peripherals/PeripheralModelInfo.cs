namespace MemGate.Peripherals;

/// <summary>A model the registry can build: its name in device files, what it is, its settings and its factory.</summary>
/// <param name="Model">The name device files use, e.g. "stm32-usart".</param>
/// <param name="Description">What it models and after which manual.</param>
/// <param name="Size">Bytes its registers span (the entry's size must hold them).</param>
/// <param name="Create">Builds it.</param>
public sealed record PeripheralModelInfo(string Model, string Description, ulong Size, PeripheralFactory Create)
{
    /// <summary>Settings it takes besides the common keys.</summary>
    public IReadOnlyList<PeripheralParameter> Parameters { get; init; } = [];

    /// <summary>How many interrupt lines it drives (the entry's irq list may be shorter: lines left out are not connected).</summary>
    public int Irqs { get; init; }

    /// <summary>Where it sits and what it is called when a machine adds it because its architecture defines it and the file does not declare it.</summary>
    public (string Name, ulong Base)? Architectural { get; init; }

    /// <summary>Whether it is an interrupt controller (a device has at most one).</summary>
    public bool IsInterruptController { get; init; }
}
