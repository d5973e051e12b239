namespace MemGate.Memory;

/// <summary>
/// An MMIO handler some of whose registers read without side effects (a system block's configuration and state,
/// not a FIFO or a flag that clears on read): a debugger reads those as it reads memory, without being let through
/// to peripherals (GDB reads the Cortex-M FPCCR to unwind an exception frame).
/// </summary>
public interface IQuietReads : IMmioHandler
{
    /// <summary>Whether a read of <paramref name="length"/> bytes at <paramref name="offset"/> changes nothing and consumes no MMIO input.</summary>
    bool ReadsQuietly(ulong offset, ulong length);
}
