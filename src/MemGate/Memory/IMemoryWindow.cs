namespace MemGate.Memory;

/// <summary>
/// An MMIO handler that is a window onto other guest memory (an alias): when what it shows is memory rather
/// than peripherals, reading it changes nothing, so a debugger reads it as it reads RAM.
/// </summary>
public interface IMemoryWindow : IMmioHandler
{
    /// <summary>Whether every read of the window reaches memory only (no peripheral register, which reading can change).</summary>
    bool ShowsMemoryOnly { get; }
}
