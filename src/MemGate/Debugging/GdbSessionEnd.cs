namespace MemGate.Debugging;

/// <summary>How a debugging session ended.</summary>
public enum GdbSessionEnd
{
    /// <summary>The firmware exited (GDB was told with a 'W' packet); <see cref="GdbSessionResult.ExitCode"/> has its code.</summary>
    Exited,

    /// <summary>The debugger killed the run (<c>kill</c>, 'k').</summary>
    Killed,

    /// <summary>The debugger detached ('D').</summary>
    Detached,

    /// <summary>The connection dropped without a detach.</summary>
    Disconnected,

    /// <summary>The session was cancelled from the host (Ctrl-C at memgate's terminal).</summary>
    Cancelled,

    /// <summary>The firmware ended before any debugger attached (no session took place).</summary>
    NotAttached,

    /// <summary>
    /// The debugger left (detached or dropped the connection) and the firmware ran on to its end with none attached
    /// (<see cref="GdbServerOptions.ContinueOnDetach"/>); <see cref="GdbSessionResult.LastRun"/> or <see cref="GdbSessionResult.Fault"/> is that end.
    /// </summary>
    RanOn,
}
