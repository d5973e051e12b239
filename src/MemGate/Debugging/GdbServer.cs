using System.Net;
using System.Net.Sockets;
using MemGate.Emulation;

namespace MemGate.Debugging;

/// <summary>
/// A GDB remote-protocol server for one machine (QEMU's <c>-gdb tcp::PORT</c>): <c>target remote HOST:PORT</c>
/// from <c>gdb-multiarch</c> debugs the firmware with the CPU's registers, the device's memory map,
/// breakpoints, watchpoints, steps and monitor commands. One debugger at a time; with
/// <see cref="GdbServerOptions.ContinueOnDetach"/> the next may attach once the last has left.
/// </summary>
/// <example>
/// <code>
/// using var server = GdbServer.Listen(new IPEndPoint(IPAddress.Loopback, 1234));
/// var result = server.Serve(machine, new GdbServerOptions { WaitForDebugger = true });
/// </code>
/// </example>
public sealed class GdbServer : IDisposable
{
    private readonly TcpListener _listener;

    private GdbServer(TcpListener listener) => _listener = listener;

    /// <summary>Where it listens (the port is the one the system chose when 0 was asked for).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Starts listening at <paramref name="endpoint"/>.</summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local).</exception>
    public static GdbServer Listen(IPEndPoint endpoint)
    {
        var listener = new TcpListener(endpoint);
        listener.Start(1);
        return new GdbServer(listener);
    }

    /// <summary>
    /// Runs <paramref name="machine"/> (already loaded) under the debugger: with
    /// <see cref="GdbServerOptions.WaitForDebugger"/> it stops at the reset vector and waits for one; otherwise
    /// the firmware runs from reset and stops where it is when a debugger attaches. Returns when the session
    /// ends; with <see cref="GdbServerOptions.ContinueOnDetach"/>, when the firmware has run on to its end after the
    /// debugger left, another debugger attaching meanwhile stopping it where it is and starting a new session.
    /// </summary>
    public GdbSessionResult Serve(FirmwareMachine machine, GdbServerOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(options);
        // GDB steps over the instruction that hit a watchpoint itself (ARM, AArch64, RISC-V), as with QEMU's stub.
        machine.WatchpointsStopBefore = true;
        try
        {
            return ServeMachine(machine, options, cancel);
        }
        finally
        {
            machine.WatchpointsStopBefore = false;
        }
    }

    private GdbSessionResult ServeMachine(FirmwareMachine machine, GdbServerOptions options, CancellationToken cancel)
    {
        RunResult? before = null;
        EmulationFault? fault = null;
        ulong instructions = 0;
        bool ranOn = false;   // a debugger has left and the firmware runs on: a new one may attach (as to QEMU's stub)
        if (options.WaitForDebugger && !options.Resume)
        {
            machine.ResetHalted();
        }
        while (true)
        {
            using var pass = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            Task<TcpClient> accepting = _listener.AcceptTcpClientAsync(pass.Token).AsTask();
            if (!options.WaitForDebugger || ranOn)
            {
                // Run until a debugger attaches (then stop where it is) or the firmware ends without one.
                bool fromReset = !ranOn && !options.Resume;
                var run = Task.Run(() => fromReset ? machine.Run() : machine.Continue());
                Task.WaitAny(run, accepting);
                while (!run.Wait(20))
                {
                    machine.RequestStop();   // again: a request just before the run began is forgotten when it begins
                }
                if (run.Exception?.InnerException is EmulationFault stopped)
                {
                    (before, fault, instructions) = (null, stopped, instructions + machine.Instructions);
                }
                else
                {
                    (before, fault) = (run.GetAwaiter().GetResult(), null);
                    instructions += before.Instructions;
                }
                if (!accepting.IsCompleted)
                {
                    // Nobody attached: no accept may stay behind (a debugger connecting later would hang on it, and a
                    // next Serve would compete with it); one that won the race anyway is closed.
                    pass.Cancel();
                    accepting.ContinueWith(static a => a.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    return new GdbSessionResult(ranOn ? GdbSessionEnd.RanOn : GdbSessionEnd.NotAttached, before, fault, instructions);
                }
            }
            if (options.WaitForDebugger && !ranOn)
            {
                options.Log?.WriteLine($"memgate: waiting for GDB on {Endpoint} (target remote {Endpoint})");
            }
            TcpClient client;
            try
            {
                client = accepting.GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped (Ctrl-C) before one attached, or the server disposed meanwhile (a library's way to end a run-on).
                return new GdbSessionResult(GdbSessionEnd.Cancelled, before, fault, instructions);
            }
            if (!options.WaitForDebugger || ranOn)
            {
                options.Log?.WriteLine($"memgate: GDB attached on {Endpoint}");
            }
            var result = Session(machine, options, client, before, fault, instructions, cancel);
            if (!options.ContinueOnDetach || result.End is not (GdbSessionEnd.Detached or GdbSessionEnd.Disconnected) || machine.Ended || cancel.IsCancellationRequested)
            {
                return result;
            }
            options.Log?.WriteLine($"memgate: the firmware runs on; GDB can attach again on {Endpoint}");
            (ranOn, instructions) = (true, result.Instructions);
        }
    }

    private GdbSessionResult Session(FirmwareMachine machine, GdbServerOptions options, TcpClient client, RunResult? before, EmulationFault? fault, ulong instructions, CancellationToken cancel)
    {
        using var refusing = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var others = RefuseOthersAsync(options.Log, refusing.Token);
        try
        {
            using (client)
            {
                client.NoDelay = true;
                using var connection = new GdbConnection(client.GetStream());
                var session = new GdbSession(machine, connection, options, cancel);
                session.Begin(before, fault, instructions);
                var result = session.Serve();
                options.Log?.WriteLine($"memgate: GDB session ended ({result.End.ToString().ToLowerInvariant()})");
                return result;
            }
        }
        finally
        {
            refusing.Cancel();
            others.Wait();
        }
    }

    // One debugger at a time: another that connects meanwhile is closed at once and the refusal said here (it waited
    // unanswered in the listen queue before, and GDB gave up with a bare "Connection reset by peer").
    private async Task RefuseOthersAsync(TextWriter? log, CancellationToken cancel)
    {
        try
        {
            while (true)
            {
                using var other = await _listener.AcceptTcpClientAsync(cancel).ConfigureAwait(false);
                log?.WriteLine($"memgate: refused a GDB connection from {other.Client.RemoteEndPoint}: a debugger is already attached (one at a time)");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The session ended, the listener stopped (disposed), or the log could not be written: refusing is best effort
            // and must not replace the session's own result.
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Stop();
}
