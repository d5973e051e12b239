namespace MemGate.Debugging;

/// <summary>What arrived from the debugger: a packet (its payload unescaped), an interrupt (Ctrl-C), a packet too damaged to answer, or the end of the connection.</summary>
internal readonly record struct GdbInput(GdbInputKind Kind, byte[] Payload)
{
    public static GdbInput Interrupt { get; } = new(GdbInputKind.Interrupt, []);

    public static GdbInput Closed { get; } = new(GdbInputKind.Closed, []);

    public static GdbInput Malformed { get; } = new(GdbInputKind.Malformed, []);
}
