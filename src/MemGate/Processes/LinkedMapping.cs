namespace MemGate.Processes;

/// <summary>Memory another process linked into this one through a <see cref="ProcessLinkReceiver"/>.</summary>
/// <param name="Address">Where it is mapped in this process.</param>
/// <param name="Size">Bytes (whole pages).</param>
/// <param name="Label">What the source called it (its mapping's path, e.g. "/memfd:guest ram").</param>
/// <param name="SourcePid">The process it came from.</param>
/// <param name="SourceAddress">Where it lies in the source process.</param>
/// <param name="IsCopy">A one-time copy (private anonymous memory), not shared pages.</param>
public sealed record LinkedMapping(nint Address, ulong Size, string Label, int SourcePid, ulong SourceAddress, bool IsCopy);
