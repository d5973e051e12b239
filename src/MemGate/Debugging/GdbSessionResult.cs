using MemGate.Emulation;

namespace MemGate.Debugging;

/// <summary>The end of a debugging session and the last run the machine made in it.</summary>
/// <param name="End">How the session ended.</param>
/// <param name="LastRun">The last run that ended without a fault (null if none ran, or the last one faulted).</param>
/// <param name="Fault">The fault the last run ended with, if it did.</param>
/// <param name="Instructions">Instructions the firmware executed since it started: since reset (or <c>monitor reset</c>), counting from the snapshot's count after <c>monitor snapshot restore</c>.</param>
public sealed record GdbSessionResult(GdbSessionEnd End, RunResult? LastRun, EmulationFault? Fault, ulong Instructions)
{
    /// <summary>The firmware's exit code when <see cref="End"/> is <see cref="GdbSessionEnd.Exited"/>.</summary>
    public int? ExitCode => End == GdbSessionEnd.Exited ? LastRun?.ExitCode : null;
}
