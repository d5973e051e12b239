using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MemGate.Debugging;
using MemGate.Emulation;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate run … --gdb [HOST:]PORT</c>: the run goes through a GDB server, and its end becomes the run's result for the summary and exit code.</summary>
internal sealed class RunDebugger : IDisposable
{
    private readonly GdbServer _server;
    private readonly GdbServerOptions _options;
    private readonly CancellationTokenSource _cancel = new();

    private RunDebugger(GdbServer server, GdbServerOptions options)
    {
        _server = server;
        _options = options;
    }

    /// <summary>Listens at <paramref name="endpoint"/> ("PORT", "HOST:PORT" or QEMU's "tcp::PORT"; the host defaults to 127.0.0.1).</summary>
    public static RunDebugger Listen(string endpoint, bool wait, bool continueOnDetach, bool resume, TextWriter log)
    {
        var address = Parse(endpoint);
        try
        {
            return new RunDebugger(GdbServer.Listen(address), new GdbServerOptions { WaitForDebugger = wait, ContinueOnDetach = continueOnDetach, Resume = resume, Log = log });
        }
        catch (SocketException e)
        {
            throw new IOException($"--gdb {endpoint}: cannot listen on {address}: {e.Message}", e);
        }
    }

    /// <summary>Instructions executed over the session, once <see cref="Run"/> has returned or thrown.</summary>
    public ulong? Instructions { get; private set; }

    /// <summary>Ends the session from the host (Ctrl-C at memgate's terminal).</summary>
    public void Cancel() => _cancel.Cancel();

    /// <summary>Serves the debugger; returns how the run ended, or throws the fault it ended with.</summary>
    /// <exception cref="EmulationFault">The firmware faulted and the session ended there.</exception>
    public RunResult Run(FirmwareMachine machine)
    {
        var clock = Stopwatch.StartNew();
        var session = _server.Serve(machine, _options, _cancel.Token);
        Instructions = session.Instructions;
        if (session.End is GdbSessionEnd.Exited or GdbSessionEnd.NotAttached or GdbSessionEnd.RanOn && session.LastRun is { } finished)
        {
            return finished with { Elapsed = clock.Elapsed, Instructions = session.Instructions };
        }
        if (session.Fault is { } fault)
        {
            throw fault;
        }
        if (session.End is not GdbSessionEnd.Cancelled && session.LastRun is { EndedOnItsOwn: true } ended)
        {
            // The firmware's own end (its input ran out, a limit, nothing left to wake it) stays the run's result when
            // the debugger then leaves: its exit code, as without a debugger, not the 130 of a stop (Ctrl-C or SIGTERM
            // at memgate's terminal still give 130 or 143).
            return ended with { Elapsed = clock.Elapsed, Instructions = session.Instructions };
        }
        string reason = session.End switch
        {
            GdbSessionEnd.Killed => "killed by the debugger",
            GdbSessionEnd.Detached => "debugger detached",
            GdbSessionEnd.Disconnected => "debugger disconnected",
            _ => "interrupted",
        };
        return new RunResult(null, reason, clock.Elapsed, session.Instructions, RunOutcome.Interrupted);
    }

    public void Dispose()
    {
        _server.Dispose();
        _cancel.Dispose();
    }

    private static IPEndPoint Parse(string text)
    {
        string rest = text.StartsWith("tcp:", StringComparison.Ordinal) ? text[4..] : text;
        int colon = rest.LastIndexOf(':');
        string host = colon < 0 ? "" : rest[..colon];
        string port = colon < 0 ? rest : rest[(colon + 1)..];
        if (!ushort.TryParse(port, out ushort number))
        {
            throw new CommandUsageException($"--gdb {text}: give a port (1234), host:port (127.0.0.1:1234) or tcp::PORT.");
        }
        IPAddress address = host is "" or "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed
            : throw new CommandUsageException($"--gdb {text}: '{host}' is not an IP address (give 127.0.0.1, 0.0.0.0 or localhost).");
        return new IPEndPoint(address, number);
    }
}
