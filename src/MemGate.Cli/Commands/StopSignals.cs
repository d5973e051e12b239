using System.Runtime.InteropServices;

namespace MemGate.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM (kill, timeout(1), a supervisor) stop the work under way instead of ending the
/// process, so a run or a campaign still prints its summary and writes its files. Which signal came decides the
/// exit code: 130 or 143, as shells report them.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private volatile bool _terminated;

    /// <summary>Calls <paramref name="stop"/> (on a signal-handling thread) at each SIGINT or SIGTERM until disposed.</summary>
    public StopSignals(Action stop)
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop();
        });
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _terminated = true;
            stop();
        });
    }

    /// <summary>The exit code of work these signals stopped: <see cref="CliApp.Terminated"/> once SIGTERM came, else <see cref="CliApp.Interrupted"/>.</summary>
    public int ExitCode => _terminated ? CliApp.Terminated : CliApp.Interrupted;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }
}
