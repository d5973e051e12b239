namespace MemGate.Fuzzing;

/// <summary>A distinct crash (or hang) a campaign found, and the input saved for it.</summary>
/// <param name="Signature">The fault's kind and PC ("write-fault@0x08000010"), or "hang@" and a PC: runs with the same one are the same finding.</param>
/// <param name="Reason">The fault's message, or the limit the hang reached.</param>
/// <param name="File">The input that causes it.</param>
/// <param name="Kind">A crash or a hang.</param>
public sealed record FuzzCrash(string Signature, string Reason, string File, FuzzRunKind Kind = FuzzRunKind.Crash)
{
    /// <summary>The command that replays it (<see cref="FuzzCampaignOptions.ReplayCommand"/>), also in the .txt file beside the input; null without one.</summary>
    public string? Replay { get; init; }
}
