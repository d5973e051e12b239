namespace MemGate.Peripherals.Arm;

/// <summary>What an interrupt controller signals to an Arm CPU.</summary>
public enum GicSignal
{
    /// <summary>Nothing to take.</summary>
    None,

    /// <summary>An IRQ.</summary>
    Irq,

    /// <summary>An FIQ (GICv2 group 0 with FIQEn).</summary>
    Fiq,
}
