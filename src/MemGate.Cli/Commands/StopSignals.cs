using System.Diagnostics;
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
    // timeout(1) signals the command and then its own process group, which holds the command too: a second signal
    // this soon after the first is the same request.
    private static readonly long RepeatWindow = Stopwatch.Frequency / 4;
    private volatile bool _terminated;
    private volatile bool _disposed;
    private long _firstAt;

    /// <summary>
    /// Calls <paramref name="stop"/> (on a signal-handling thread) at the first SIGINT or SIGTERM until disposed; a second
    /// one, a quarter of a second or more later, ends the process as the signal would (work that does not stop can
    /// still be ended).
    /// </summary>
    public StopSignals(Action stop)
    {
        void Handle(PosixSignalContext context)
        {
            if (_disposed)
            {
                return;   // not cancelled: the signal's own action
            }
            long now = Stopwatch.GetTimestamp();
            long first = Interlocked.CompareExchange(ref _firstAt, now, 0);
            if (first != 0 && now - first >= RepeatWindow)
            {
                return;   // a second request: the signal's own action
            }
            context.Cancel = true;
            _terminated |= context.Signal == PosixSignal.SIGTERM;
            if (first != 0)
            {
                return;   // the first one again: already stopping
            }
            try
            {
                stop();
            }
            catch (ObjectDisposedException)
            {
                // The work ended and released what stops it while the signal came.
            }
        }
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    /// <summary>The exit code of work these signals stopped: <see cref="CliApp.Terminated"/> once SIGTERM came, else <see cref="CliApp.Interrupted"/>.</summary>
    public int ExitCode => _terminated ? CliApp.Terminated : CliApp.Interrupted;

    public void Dispose()
    {
        _disposed = true;
        _interrupt.Dispose();
        _terminate.Dispose();
    }
}
