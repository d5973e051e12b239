namespace MemGate.Devices;

/// <summary>How an interrupt trigger without a fixed <c>irq</c> chooses the interrupt to pend.</summary>
public enum InterruptTriggerMode
{
    /// <summary>The currently enabled external interrupts, one after the other.</summary>
    RoundRobin,

    /// <summary>One of the enabled interrupts, chosen by the next byte of the MMIO input (none consumed when only one is enabled).</summary>
    Fuzzed,
}
