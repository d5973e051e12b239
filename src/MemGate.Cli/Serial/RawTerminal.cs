using System.Runtime.InteropServices;
using MemGate.Cli.Native;

namespace MemGate.Cli.Serial;

/// <summary>
/// A terminal switched to raw input for a serial console: keys reach the firmware one at a time and
/// unechoed (Enter is a carriage return, as on a serial line), while Ctrl-C still stops the run and
/// output is still translated (newline starts a line). <see cref="Dispose"/> puts the saved attributes
/// back; so do the end of the process and SIGTERM, SIGHUP and SIGQUIT, so the user's terminal is never
/// left raw.
/// </summary>
internal sealed class RawTerminal : IDisposable
{
    private readonly int _fd;
    private readonly Termios.Attributes _saved;
    private readonly List<PosixSignalRegistration> _signals = [];
    private int _restored;

    private RawTerminal(int fd, Termios.Attributes saved)
    {
        _fd = fd;
        _saved = saved;
    }

    /// <summary>Switches <paramref name="fd"/> to raw input; null when it is not a terminal (nothing changed).</summary>
    public static unsafe RawTerminal? Enter(int fd)
    {
        if (Termios.IsTerminal(fd) != 1 || Termios.GetAttributes(fd, out var saved) != 0)
        {
            return null;
        }
        var raw = MakeRaw(saved);
        if (Termios.SetAttributes(fd, Termios.SetNow, raw) != 0)
        {
            return null;
        }
        var terminal = new RawTerminal(fd, saved);
        AppDomain.CurrentDomain.ProcessExit += terminal.OnExit;
        foreach (var signal in (PosixSignal[])[PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT])
        {
            // Restore, then let the signal do what it does (Cancel stays false).
            terminal._signals.Add(PosixSignalRegistration.Create(signal, _ => terminal.Restore()));
        }
        return terminal;
    }

    /// <summary>The attributes for raw input made from <paramref name="cooked"/> (a pure function, for tests).</summary>
    public static unsafe Termios.Attributes MakeRaw(Termios.Attributes cooked)
    {
        var raw = cooked;
        raw.InputFlags &= ~(Termios.IgnoreBreak | Termios.BreakInterrupt | Termios.MarkParity | Termios.StripBit8 | Termios.NewlineToReturn
            | Termios.IgnoreReturn | Termios.ReturnToNewline | Termios.FlowControl);
        raw.LocalFlags &= ~(Termios.Echo | Termios.EchoNewline | Termios.Canonical | Termios.Extended);   // ISIG stays: Ctrl-C stops the run
        raw.ControlCharacters[Termios.MinimumIndex] = 1;
        raw.ControlCharacters[Termios.TimeIndex] = 0;
        return raw;
    }

    /// <summary>Puts the terminal back as it was (once; later calls do nothing).</summary>
    public void Restore()
    {
        if (Interlocked.Exchange(ref _restored, 1) == 0)
        {
            Termios.SetAttributes(_fd, Termios.SetNow, _saved);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Restore();
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }
        _signals.Clear();
    }

    private void OnExit(object? sender, EventArgs e) => Restore();
}
