namespace MemGate.Fuzzing;

/// <summary>One execution of the firmware on one input.</summary>
/// <param name="Kind">Normal, crash or hang.</param>
/// <param name="Reason">In words: the run's reason ("exit", "input exhausted", "instruction limit") or the fault's message.</param>
/// <param name="ProgramCounter">Where it ended (the faulting instruction for a crash).</param>
/// <param name="Instructions">Instructions executed.</param>
/// <param name="Signature">What identifies a crash or hang for deduplication: the fault's kind and PC ("write-fault@0x08000010"), or "hang@" and the PC where the limit stopped it; null for a normal run.</param>
public sealed record FuzzRun(FuzzRunKind Kind, string Reason, ulong ProgramCounter, ulong Instructions, string? Signature);
