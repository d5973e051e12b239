namespace MemGate.Fuzzing;

/// <summary>Where a campaign stands: for the status line and the final summary.</summary>
/// <param name="Runs">Inputs executed.</param>
/// <param name="Elapsed">Wall time since the campaign started.</param>
/// <param name="Edges">Distinct edges covered.</param>
/// <param name="Corpus">Inputs kept (seeds and those that found new coverage).</param>
/// <param name="Crashes">Distinct crashes (by fault kind and PC).</param>
/// <param name="Hangs">Runs that reached the instruction or time limit.</param>
public sealed record FuzzStatus(ulong Runs, TimeSpan Elapsed, int Edges, int Corpus, int Crashes, ulong Hangs)
{
    /// <summary>Runs per second of wall time.</summary>
    public double RunsPerSecond => Elapsed.TotalSeconds > 0 ? Runs / Elapsed.TotalSeconds : 0;
}
