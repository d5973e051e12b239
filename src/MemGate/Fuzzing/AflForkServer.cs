using System.Buffers.Binary;
using System.Diagnostics;
using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Fuzzing;

/// <summary>
/// Lets AFL++ (<c>afl-fuzz</c>) drive a <see cref="FuzzTarget"/>: its fork-server protocol on file
/// descriptors 198 (commands) and 199 (replies), and its coverage map in the System V shared memory
/// named by <c>__AFL_SHM_ID</c>, which the engine fills directly. Nothing is forked: each "child" is a run
/// restored from the target's snapshot, in this process.
/// </summary>
/// <remarks>
/// AFL++ asks for a child process id, and on its own timeout kills that process: the id given is that
/// of a small waiting process (which ends with this one), so a run that hangs shows up to AFL as a timeout (the server waits for
/// that kill) while this process lives on. A crash is reported as SIGSEGV, any other end as exit 0.
/// </remarks>
public static class AflForkServer
{
    private const int ControlFd = 198;
    private const int StatusFd = 199;
    private const int SignalSegv = 11;
    private const int SignalKill = 9;

    /// <summary>Whether this process was started by afl-fuzz (its fork-server pipes and coverage map are there).</summary>
    public static bool Available => MapGiven && File.Exists($"/proc/self/fd/{ControlFd}");

    /// <summary>
    /// Whether an AFL++ tool gave a coverage map but no fork-server pipes: it runs the target once per process
    /// (<c>afl-showmap</c> on one input, tools in their non-fork-server modes), as an instrumented program runs then.
    /// </summary>
    public static bool SingleRun => MapGiven && !File.Exists($"/proc/self/fd/{ControlFd}");

    private static bool MapGiven => Environment.GetEnvironmentVariable("__AFL_SHM_ID") is not null;

    /// <summary>
    /// One run into AFL's map (<see cref="SingleRun"/>); a crash ends this process by SIGSEGV, as AFL++ tools expect
    /// of a crashing program, and never returns. Otherwise returns how the run ended.
    /// </summary>
    /// <exception cref="MemGateException">No valid map id, or AFL_MAP_SIZE is smaller than the target's map.</exception>
    public static FuzzRunKind RunOnce(FuzzTarget target, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        nint map = AttachMap();
        FuzzRunKind kind;
        try
        {
            target.UseMap(map);
            kind = target.Execute(input).Kind;
        }
        finally
        {
            target.UseMap(0);
            SysVSharedMemory.Detach(map);
        }
        if (kind == FuzzRunKind.Crash)
        {
            // The runtime handles SIGSEGV itself (for null references): put the default action back to die by it.
            Libc.Signal(Libc.SignalSegv, 0);
            Libc.Raise(Libc.SignalSegv);
        }
        return kind;
    }

    private static nint AttachMap()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("__AFL_SHM_ID"), out int id))
        {
            throw new MemGateException("Not started by an AFL++ tool: __AFL_SHM_ID names no coverage map.");
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("AFL_MAP_SIZE"), out int size) && size < FuzzTarget.MapSize)
        {
            throw new MemGateException($"AFL_MAP_SIZE is {size}; MemGate's edge map takes {FuzzTarget.MapSize} bytes (leave AFL_MAP_SIZE unset or at least that).");
        }
        return SysVSharedMemory.Attach(id);
    }

    /// <summary>
    /// Serves AFL++ until it closes the pipes: each run's input comes from <paramref name="readInput"/> (AFL's
    /// current test case); returns the number of runs.
    /// </summary>
    /// <exception cref="MemGateException">Not started by afl-fuzz, or AFL_MAP_SIZE is smaller than the target's map.</exception>
    public static ulong Serve(FuzzTarget target, Func<byte[]> readInput)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(readInput);
        if (!Available)
        {
            throw new MemGateException("Not started by afl-fuzz: its fork-server pipes (fd 198, 199) and __AFL_SHM_ID are missing.");
        }
        nint map = AttachMap();
        var controlFd = new SafeFileHandle(ControlFd, ownsHandle: false);
        var statusFd = new SafeFileHandle(StatusFd, ownsHandle: false);
        // The stand-in must not hold AFL's pipes: afl-fuzz waits on them, and would wait for ever on a stand-in left behind.
        FileDescriptors.KeepFromChildren(controlFd);
        FileDescriptors.KeepFromChildren(statusFd);
        using var control = new FileStream(controlFd, FileAccess.Read, 1);
        using var status = new FileStream(statusFd, FileAccess.Write, 1);
        Process? child = null;
        ulong runs = 0;
        try
        {
            target.UseMap(map);
            Span<byte> word = stackalloc byte[4];
            Write(status, word, 0);   // hello: the old protocol (no options)
            while (ReadWord(control, word))
            {
                if (child is null || child.HasExited)
                {
                    child?.Dispose();
                    // `cat` reading a pipe only this process writes: it waits until AFL kills it, or until this process
                    // ends (however it ends) and the pipe with it; so no stand-in outlives memgate.
                    child = Process.Start(new ProcessStartInfo("cat") { UseShellExecute = false, RedirectStandardInput = true })
                        ?? throw new InvalidOperationException("Could not start the stand-in process AFL++ watches ('cat').");
                }
                byte[] input = readInput();
                Write(status, word, child.Id);
                var run = target.Execute(input);
                runs++;
                int result = run.Kind switch
                {
                    FuzzRunKind.Crash => SignalSegv,
                    // A hang: let AFL's own timer see it (it kills the stand-in), then say it was killed.
                    FuzzRunKind.Hang when child.WaitForExit(TimeSpan.FromSeconds(10)) => SignalKill,
                    _ => 0,
                };
                Write(status, word, result);
            }
        }
        finally
        {
            target.UseMap(0);
            SysVSharedMemory.Detach(map);
            if (child is { HasExited: false })
            {
                child.Kill();
            }
            child?.Dispose();
        }
        return runs;
    }

    private static bool ReadWord(Stream stream, Span<byte> word)
    {
        try
        {
            stream.ReadExactly(word);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;   // afl-fuzz has gone
        }
    }

    private static void Write(Stream stream, Span<byte> word, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(word, value);
        stream.Write(word);
        stream.Flush();
    }
}
