namespace MemGate.Emulation;

/// <summary>A register block in a <see cref="MachineState"/>: a peripheral model's or an SVD file's, with every register's stored value.</summary>
/// <param name="Name">The block's name (the device's peripheral name, e.g. USART1; a model with several blocks names each, e.g. NVIC, SCB).</param>
/// <param name="Base">Its guest address.</param>
/// <param name="Registers">Its registers by offset.</param>
public sealed record PeripheralState(string Name, ulong Base, IReadOnlyList<RegisterState> Registers);
