namespace MemGate.Mmio;

/// <summary>A CPU register as a register window sees it: a name and a width in bytes (1 to 8).</summary>
public sealed record CpuRegister(string Name, int SizeBytes);
