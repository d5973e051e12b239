namespace MemGate.Devices;

/// <summary>
/// An interrupt the machine raises on its own, as Fuzzware's <c>interrupt_triggers</c> do for firmware
/// whose peripherals nothing models: every <see cref="Every"/> instructions (or an interval the input picks,
/// <see cref="EveryFuzzed"/>), or whenever execution reaches
/// <see cref="At"/>. Which interrupt: <see cref="Irq"/>, else the enabled ones in turn
/// (<see cref="InterruptTriggerMode.RoundRobin"/>) or one the MMIO input picks (<see cref="InterruptTriggerMode.Fuzzed"/>).
/// </summary>
/// <param name="Name">A name for messages.</param>
public sealed record DeviceInterruptTrigger(string Name)
{
    /// <summary>Fire every this many executed instructions (time-based).</summary>
    public ulong? Every { get; init; }

    /// <summary>
    /// Time-based with an interval the MMIO input picks (Fuzzware's <c>every_nth_tick: fuzzed</c>): the first after
    /// <see cref="FuzzedIntervals"/>[0] instructions, then at each firing one input byte picks the next one from them.
    /// </summary>
    public bool EveryFuzzed { get; init; }

    /// <summary>The intervals a fuzzed one is picked from (byte modulo 8), in Fuzzware's order: the usual ones at both ends.</summary>
    public static IReadOnlyList<ulong> FuzzedIntervals { get; } = [1000, 500, 250, 1, 4000, 8000, 16000, 2000];

    /// <summary>
    /// Whether <see cref="Every"/> (or a fuzzed interval) counts basic blocks entered instead of instructions, as
    /// Fuzzware's ticks do (imports set it); while the CPU sleeps (WFI) each tick of time counts as a block.
    /// </summary>
    public bool CountsBlocks { get; init; }

    /// <summary>Fire whenever execution reaches this address or symbol (location-based).</summary>
    public string? At { get; init; }

    /// <summary>The interrupt to pend (external number, IRQn); null: chosen by <see cref="Mode"/>.</summary>
    public int? Irq { get; init; }

    /// <summary>How the interrupt is chosen when <see cref="Irq"/> is null.</summary>
    public InterruptTriggerMode Mode { get; init; } = InterruptTriggerMode.RoundRobin;

    /// <summary>How many firings in a row pend (default 1).</summary>
    public int Pends { get; init; } = 1;

    /// <summary>How many firings are skipped before pending (Fuzzware's defaults: 0 time-based, 1 location-based).</summary>
    public int? Skips { get; init; }
}
