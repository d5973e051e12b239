namespace MemGate.Emulation;

/// <summary>How a run ended.</summary>
/// <param name="ExitCode">The firmware's exit code (semihosting SYS_EXIT), or null when it did not exit.</param>
/// <param name="Reason">"exit", "instruction limit", "timeout" or "stopped".</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record RunResult(int? ExitCode, string Reason, TimeSpan Elapsed);
