namespace MemGate.Mmio;

/// <summary>An MMIO read needed more input than was left: the run ends with outcome "input exhausted", as a Fuzzware run does.</summary>
public sealed class MmioInputExhaustedException(ulong address, int size, int consumed)
    : MemGateException($"input exhausted: a {size}-byte read of 0x{address:X} after {consumed} input bytes")
{
    /// <summary>The address of the read that found the input empty.</summary>
    public ulong Address { get; } = address;

    /// <summary>Input bytes consumed before it.</summary>
    public int Consumed { get; } = consumed;
}
