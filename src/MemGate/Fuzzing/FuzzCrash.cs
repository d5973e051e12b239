namespace MemGate.Fuzzing;

/// <summary>A distinct crash a campaign found, and the input saved for it.</summary>
/// <param name="Signature">The fault's kind and PC ("write-fault@0x08000010"): crashes with the same one are the same crash.</param>
/// <param name="Reason">The fault's message.</param>
/// <param name="File">The input that causes it.</param>
public sealed record FuzzCrash(string Signature, string Reason, string File);
