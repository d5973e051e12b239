using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>A register block of a peripheral model, to attach at its address when a device is allocated (it takes precedence over SVD blocks there).</summary>
/// <param name="Name">The peripheral's name, e.g. "USART1".</param>
/// <param name="Base">Guest address of its registers.</param>
/// <param name="Size">Bytes its registers span.</param>
/// <param name="Handler">The model.</param>
public sealed record PeripheralBlock(string Name, ulong Base, ulong Size, IMmioHandler Handler);
