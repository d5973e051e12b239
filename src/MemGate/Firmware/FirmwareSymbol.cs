namespace MemGate.Firmware;

/// <summary>A named address from an ELF symbol table.</summary>
/// <param name="Name">The symbol's name.</param>
/// <param name="Address">Its value.</param>
/// <param name="Size">Its size in bytes (0 when unknown).</param>
/// <param name="IsFunction">Whether it is code (STT_FUNC).</param>
public sealed record FirmwareSymbol(string Name, ulong Address, ulong Size, bool IsFunction);
