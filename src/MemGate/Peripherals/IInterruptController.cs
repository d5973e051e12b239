namespace MemGate.Peripherals;

/// <summary>What peripherals' interrupt lines are wired to (the NVIC, the GIC).</summary>
public interface IInterruptController
{
    /// <summary>How many lines it has: a device file's <c>irq</c> must be below this.</summary>
    int LineCount { get; }

    /// <summary>The lowest line a peripheral may drive (0 on the NVIC; 32 on the GIC, whose lower IDs are SGIs and PPIs).</summary>
    int FirstLine { get; }

    /// <summary>Drives line <paramref name="line"/> high or low (level-sensitive, as the peripherals' lines are).</summary>
    void SetLevel(int line, bool asserted);
}
