using MemGate.Memory;

namespace MemGate.Emulation;

/// <summary>The access that stopped a run at a watchpoint: what it did, where, and the watchpoint it met.</summary>
/// <param name="Access">A read or a write.</param>
/// <param name="Address">The first byte the access touched.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Watched">The start of the watched range it met.</param>
/// <param name="Kind">What that watchpoint watches.</param>
public sealed record WatchpointHit(AccessKind Access, ulong Address, int Size, ulong Watched, WatchKind Kind);
