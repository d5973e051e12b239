namespace MemGate.Processes;

/// <summary>What <see cref="ProcessLink"/> did.</summary>
/// <param name="SourcePid">The process whose memory was linked.</param>
/// <param name="TargetPid">The process that now maps it.</param>
/// <param name="SourceAddress">First byte in the source (page aligned).</param>
/// <param name="TargetAddress">First byte in the target.</param>
/// <param name="Size">Bytes linked (whole pages).</param>
/// <param name="Region">The source mapping the range lies in.</param>
/// <param name="Method">How the memory object was obtained ("pidfd_getfd of fd 7", "/proc/PID/map_files", a copy).</param>
/// <param name="IsCopy">A one-time copy rather than shared pages.</param>
public sealed record ProcessLinkResult(int SourcePid, int TargetPid, ulong SourceAddress, ulong TargetAddress, ulong Size, ProcessRegion Region, string Method, bool IsCopy);
