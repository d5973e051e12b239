namespace MemGate.Emulation;

/// <summary>A register's value in a <see cref="MachineState"/>: a CPU register, or a peripheral's (then with its guest address).</summary>
/// <param name="Name">The register's name (as the architecture, the model or the SVD file names it).</param>
/// <param name="Value">Its value.</param>
/// <param name="Bytes">Its width in bytes.</param>
/// <param name="Address">A peripheral register's guest address; null for a CPU register.</param>
public sealed record RegisterState(string Name, ulong Value, int Bytes, ulong? Address = null);
