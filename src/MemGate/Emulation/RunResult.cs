namespace MemGate.Emulation;

/// <summary>How a run ended.</summary>
/// <param name="ExitCode">The firmware's exit code (semihosting SYS_EXIT, the RISC-V test device), or null when it did not exit.</param>
/// <param name="Reason">The outcome in words: "exit", "instruction limit", "timeout", "interrupted", "idle: …" saying where the CPU waits, "input exhausted: …" saying what needed the bytes, or "input timeout: …".</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="Instructions">
/// Instructions executed: those that completed, plus each one that raised an exception (so a storm of
/// traps counts and an instruction limit ends it).
/// </param>
/// <param name="Outcome">How the run ended, for programs.</param>
public sealed record RunResult(int? ExitCode, string Reason, TimeSpan Elapsed, ulong Instructions, RunOutcome Outcome)
{
    /// <summary>
    /// The instruction the run ended at when the machine's PC no longer shows it: for <see cref="RunOutcome.InputExhausted"/>,
    /// the one whose read found no input left (the run ended for good, so the PC is on the machine's halt page). Null otherwise.
    /// </summary>
    public ulong? StoppedAt { get; init; }

    /// <summary>
    /// Whether the run ended on its own other than by an exit: a limit or the timeout, its MMIO input used up or left
    /// unread, or nothing left to wake the CPU. A debugger is told why, and that end stays the run's result when it leaves.
    /// </summary>
    public bool EndedOnItsOwn => Outcome is RunOutcome.Idle or RunOutcome.InputExhausted or RunOutcome.InputTimeout
        or RunOutcome.BlockLimit or RunOutcome.InterruptLimit or RunOutcome.Timeout;

    /// <summary>Millions of instructions per second of wall time.</summary>
    public double Mips => Elapsed.TotalSeconds > 0 ? Instructions / Elapsed.TotalSeconds / 1e6 : 0;
}
