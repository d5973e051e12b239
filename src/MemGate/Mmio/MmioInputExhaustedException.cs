namespace MemGate.Mmio;

/// <summary>An MMIO read (or an interrupt trigger's choice) needed more input than was left: the run ends with outcome "input exhausted", as a Fuzzware run does.</summary>
public sealed class MmioInputExhaustedException : MemGateException
{
    /// <summary>A read of <paramref name="size"/> bytes at <paramref name="address"/> found fewer left.</summary>
    public MmioInputExhaustedException(ulong address, int size, int consumed)
        : base($"input exhausted: a {size}-byte read of 0x{address:X} after {consumed} input bytes")
    {
        Address = address;
        Consumed = consumed;
    }

    /// <summary>Something other than a read (<paramref name="need"/>, in words: "interrupt trigger 't' needed 1 byte to pick an interrupt") found the input empty.</summary>
    public MmioInputExhaustedException(string need, int consumed)
        : base($"input exhausted: {need} after {consumed} input bytes")
    {
        Consumed = consumed;
    }

    /// <summary>The address of the read that found the input empty; null when it was not a read.</summary>
    public ulong? Address { get; }

    /// <summary>Input bytes consumed before it.</summary>
    public int Consumed { get; }
}
