namespace MemGate.Peripherals;

/// <summary>A setting a model takes from its device file entry (a key beside name, base, size, model and irq).</summary>
/// <param name="Name">The key, e.g. "clock".</param>
/// <param name="Description">What it sets, with its default, for <c>memgate models</c> and errors.</param>
public sealed record PeripheralParameter(string Name, string Description);
