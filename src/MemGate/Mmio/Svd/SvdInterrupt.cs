namespace MemGate.Mmio.Svd;

/// <summary>An interrupt an SVD peripheral raises: its name and line number (the IRQ number, the NVIC's input for Cortex-M).</summary>
/// <param name="Name">The interrupt's name (USART1).</param>
/// <param name="Value">Its number.</param>
/// <param name="Description">Free text from the SVD.</param>
public sealed record SvdInterrupt(string Name, int Value, string Description);
