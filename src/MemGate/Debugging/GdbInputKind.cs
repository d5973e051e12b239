namespace MemGate.Debugging;

/// <summary>The kinds of <see cref="GdbInput"/>.</summary>
internal enum GdbInputKind
{
    Packet,
    Interrupt,
    Malformed,
    Closed,
}
