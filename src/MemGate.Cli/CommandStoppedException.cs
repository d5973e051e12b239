namespace MemGate.Cli;

/// <summary>
/// A signal (Ctrl-C, SIGTERM) stopped the command's work before it was done; <see cref="ExitCode"/> is the signal's
/// (130 or 143), and the message says what was left undone.
/// </summary>
internal sealed class CommandStoppedException(string message, int exitCode) : MemGateException(message)
{
    /// <summary>The exit code the signal gives (<see cref="CliApp.Interrupted"/>, <see cref="CliApp.Terminated"/>).</summary>
    public int ExitCode { get; } = exitCode;
}
