namespace MemGate.Devices;

/// <summary>
/// Per-run limits a device file sets (<c>[limits]</c>; imports carry Fuzzware's <c>limits</c>), so a run from it
/// ends as it would under Fuzzware without command-line options. Null: not set (the command line's defaults
/// apply); 0: no limit. Options given on the command line win.
/// </summary>
/// <param name="Blocks">Basic blocks a run may execute (Fuzzware's <c>translation_blocks</c>).</param>
/// <param name="Interrupts">Exception entries, SysTick's excepted, a run may take; the one reaching it ends the run (Fuzzware's <c>interrupts</c>).</param>
/// <param name="InputTimeout">Basic blocks in a row without MMIO input that end a run (Fuzzware's <c>fuzz_consumption_timeout</c>).</param>
public sealed record DeviceLimits(ulong? Blocks = null, ulong? Interrupts = null, ulong? InputTimeout = null)
{
    /// <summary>Fuzzware's default <c>fuzz_consumption_timeout</c>: the input timeout of runs on MMIO input when the device sets none.</summary>
    public const ulong FuzzwareInputTimeout = 150_000;

    /// <summary>The input timeout of runs on MMIO input: the device's, else Fuzzware's default.</summary>
    public ulong InputTimeoutOrFuzzware => InputTimeout ?? FuzzwareInputTimeout;

    /// <summary>True when nothing is set.</summary>
    public bool IsEmpty => Blocks is null && Interrupts is null && InputTimeout is null;
}
