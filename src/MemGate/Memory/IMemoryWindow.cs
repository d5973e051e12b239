namespace MemGate.Memory;

/// <summary>
/// An MMIO handler that is a window onto other guest memory (an alias): where what it shows is memory rather
/// than peripherals, reading it changes nothing, so a debugger reads it as it reads RAM.
/// </summary>
public interface IMemoryWindow : IMmioHandler
{
    /// <summary>Whether a read of <paramref name="length"/> bytes at <paramref name="offset"/> reaches memory only (no peripheral register, which reading can change), as the target is laid out now.</summary>
    bool ShowsMemoryOnly(ulong offset, ulong length);
}
