namespace MemGate.Debugging;

/// <summary>How <see cref="GdbServer.Serve"/> runs the machine around a debugger.</summary>
public sealed record GdbServerOptions
{
    /// <summary>Stop at the reset vector and wait for a debugger before anything runs (QEMU's <c>-S</c>); otherwise the firmware runs until one attaches.</summary>
    public bool WaitForDebugger { get; init; }

    /// <summary>
    /// When the debugger detaches or the connection drops, let the firmware run on (else the run ends there); a debugger
    /// attaching again stops it where it is, as QEMU's stub does.
    /// </summary>
    public bool ContinueOnDetach { get; init; }

    /// <summary>Start from the machine's current state (one started from a snapshot file) instead of reset.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Where the server says what it does (listening, attached, detached, a second debugger refused); null: silent. The
    /// refusals are written from another thread than the session's: give a writer that allows that (Console.Error does;
    /// <see cref="TextWriter.Synchronized"/> makes one that does).
    /// </summary>
    public TextWriter? Log { get; init; }
}
