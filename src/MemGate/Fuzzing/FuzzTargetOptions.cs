namespace MemGate.Fuzzing;

/// <summary>How <see cref="FuzzTarget"/> runs each input.</summary>
public sealed record FuzzTargetOptions
{
    /// <summary>Where relative file paths in the device resolve (its own folder).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Run from reset to this address with no input, snapshot there, and start every run from it (a symbol's address, e.g. after boot); null: every run starts at reset. Block and interrupt limits count from there.</summary>
    public ulong? StartAt { get; init; }

    /// <summary>
    /// The MMIO input the way to the start point reads (Fuzzware's prefix input): with <see cref="StartAt"/> the way there
    /// reads it; without, the start point is where it runs out (the instruction that would read past it), so every run goes
    /// on from the state these bytes lead to. Null: the way to <see cref="StartAt"/> reads no input.
    /// </summary>
    public byte[]? StartInput { get; init; }

    /// <summary>
    /// The default <see cref="MaxInstructions"/>: about a tenth of a second of emulation, under AFL's one-second timeout, and
    /// well above what firmware spends on a long input (a P2IM console took 2.1 million instructions for 4 KiB).
    /// </summary>
    public const ulong DefaultMaxInstructions = 20_000_000;

    /// <summary>The instruction limit of one run: a run that reaches it is a hang.</summary>
    public ulong MaxInstructions { get; init; } = DefaultMaxInstructions;

    /// <summary>
    /// The basic-block limit of one run, as Fuzzware's <c>limits.translation_blocks</c>: a run that reaches it ends normally, as in Fuzzware.
    /// Null: the device's <c>[limits] blocks</c> (else none); 0: none.
    /// </summary>
    public ulong? MaxBlocks { get; init; }

    /// <summary>
    /// The interrupt limit of one run, as Fuzzware's <c>limits.interrupts</c> (SysTick's not counted): the run ends
    /// before the handler of the one reaching it, a normal end as in Fuzzware (not a hang: firmware driven by
    /// interrupts takes many). Null: the device's <c>[limits] interrupts</c> (else none); 0: none.
    /// </summary>
    public ulong? MaxInterrupts { get; init; }

    /// <summary>
    /// Fuzzware's consumption timeout: a run ends normally after this many basic blocks in a row that read no input, counted
    /// from the start point. Null: the device's <c>[limits] input_timeout</c>, else Fuzzware's 150,000; 0: none.
    /// </summary>
    public ulong? InputTimeout { get; init; }

    /// <summary>The wall-time limit of one run (null: none): a run that reaches it is a hang.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Flash and ROM shared with the other targets of a campaign (one copy in RAM for all workers); null: the
    /// target keeps its own. Targets started from a snapshot file share it through the page cache already.
    /// </summary>
    public Snapshots.SharedFlash? SharedFlash { get; init; }

    /// <summary>Where the firmware's UART output goes (nowhere by default: a fuzzer runs it thousands of times a second).</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;
}
