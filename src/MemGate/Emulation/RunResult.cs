namespace MemGate.Emulation;

/// <summary>How a run ended.</summary>
/// <param name="ExitCode">The firmware's exit code (semihosting SYS_EXIT, the RISC-V test device), or null when it did not exit.</param>
/// <param name="Reason">"exit", "instruction limit", "timeout" or "stopped".</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="Instructions">Instructions executed (counted per translated block).</param>
public sealed record RunResult(int? ExitCode, string Reason, TimeSpan Elapsed, ulong Instructions)
{
    /// <summary>Millions of instructions per second of wall time.</summary>
    public double Mips => Elapsed.TotalSeconds > 0 ? Instructions / Elapsed.TotalSeconds / 1e6 : 0;
}
