using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Processes;

/// <summary>
/// Lets other processes link memory into this one. Linux has no call that maps an object into a
/// process from outside, so the target cooperates: this receiver listens on the abstract unix
/// socket <c>@memgate-link.PID</c>, takes the memory object's descriptor sent with SCM_RIGHTS by
/// <see cref="ProcessLink"/> (or <c>memgate ps link</c>), maps it MAP_SHARED and replies with the
/// address. Only processes of the same user (or root) may link. Disposing stops listening and
/// unmaps everything received.
/// </summary>
public sealed class ProcessLinkReceiver : IDisposable
{
    private readonly SafeFileHandle _listener;
    private readonly Thread _thread;
    private readonly Action<LinkedMapping>? _linked;
    private readonly List<(LinkedMapping Mapping, SafeMmapHandle Memory)> _links = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    private ProcessLinkReceiver(SafeFileHandle listener, Action<LinkedMapping>? linked)
    {
        _listener = listener;
        _linked = linked;
        _thread = new Thread(Serve) { IsBackground = true, Name = "memgate link receiver" };
        _thread.Start();
    }

    /// <summary>The socket name (abstract namespace) a receiver in process <paramref name="pid"/> listens on.</summary>
    public static string SocketName(int pid) => $"memgate-link.{pid}";

    /// <summary>Starts receiving links into this process; <paramref name="linked"/> is called (on the receiver's thread) after each one is mapped.</summary>
    /// <exception cref="NativeMemoryException">Another receiver already listens in this process.</exception>
    public static ProcessLinkReceiver Start(Action<LinkedMapping>? linked = null) =>
        new(UnixSocket.Listen(SocketName(Environment.ProcessId)), linked);

    /// <summary>What has been linked so far.</summary>
    public IReadOnlyList<LinkedMapping> Links
    {
        get
        {
            lock (_lock)
            {
                return _links.Select(l => l.Mapping).ToList();
            }
        }
    }

    /// <summary>Stops listening and unmaps every linked range.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        UnixSocket.Shutdown(_listener);
        _thread.Join();
        _listener.Dispose();
        foreach (var (_, memory) in _links)
        {
            memory.Dispose();
        }
        _links.Clear();
    }

    private void Serve()
    {
        var reply = new byte[LinkMessage.MaxSize];
        while (UnixSocket.Accept(_listener) is { } connection)
        {
            using (connection)
            {
                // A peer that connects and never sends must not hold the receiver (or its Dispose) for ever.
                UnixSocket.SetTimeouts(connection, TimeSpan.FromSeconds(5));
                try
                {
                    var (answer, mapping) = Handle(connection);
                    UnixSocket.Send(connection, reply.AsSpan(0, LinkMessage.Write(answer, reply)));
                    if (mapping is not null)
                    {
                        Notify(mapping);
                    }
                }
                catch (NativeMemoryException)
                {
                    // The linking process went away mid-request; nothing was mapped for it.
                }
            }
        }
    }

    /// <summary>The exception the last link callback threw, if any (it does not stop the receiver).</summary>
    public Exception? CallbackFailure { get; private set; }

    private void Notify(LinkedMapping mapping)
    {
        try
        {
            _linked?.Invoke(mapping);
        }
        catch (Exception e)
        {
            CallbackFailure = e;
        }
    }

    private (LinkMessage.Reply Reply, LinkedMapping? Mapping) Handle(SafeFileHandle connection)
    {
        var (peerPid, peerUid) = UnixSocket.PeerCredentials(connection);
        Span<byte> buffer = stackalloc byte[LinkMessage.MaxSize];
        int n = UnixSocket.Receive(connection, buffer, out var fd);
        using (fd)
        {
            uint own = Libc.EffectiveUserId();
            if (peerUid != own && peerUid != 0)
            {
                return (new(false, 0, $"process {peerPid} (uid {peerUid}) may not link memory into process {Environment.ProcessId} (uid {own})"), null);
            }
            if (!LinkMessage.TryRead(buffer[..n], out LinkMessage.Request request) || fd is null)
            {
                return (new(false, 0, "malformed link request (no memory object attached)"), null);
            }
            ulong page = (ulong)Libc.PageSize;
            if (request.Size == 0 || request.Size % page != 0 || request.Offset % page != 0 || request.Address % page != 0)
            {
                return (new(false, 0, $"size 0x{request.Size:x}, offset 0x{request.Offset:x} and address 0x{request.Address:x} must be whole pages"), null);
            }
            int protection = request.Protection & (Libc.ProtRead | Libc.ProtWrite);
            int flags = Libc.MapShared;
            int descriptor = (int)fd.DangerousGetHandle();
            nint at = Libc.Mmap((nint)request.Address, (nuint)request.Size, protection, flags | (request.Address != 0 ? Libc.MapFixedNoReplace : 0), descriptor, (long)request.Offset);
            if (at == Libc.MapFailed && request.Address != 0 && (request.Flags & LinkMessage.FixedAddress) == 0)
            {
                // The source's address is taken here: anywhere will do.
                at = Libc.Mmap(0, (nuint)request.Size, protection, flags, descriptor, (long)request.Offset);
            }
            if (at == Libc.MapFailed)
            {
                return (new(false, 0, NativeMemoryException.FromErrno($"mmap of 0x{request.Size:x} bytes at 0x{request.Address:x} in process {Environment.ProcessId}").Message), null);
            }
            var mapping = new LinkedMapping(at, request.Size, request.Label, request.SourcePid, request.SourceAddress, (request.Flags & LinkMessage.Copy) != 0);
            lock (_lock)
            {
                _links.Add((mapping, SafeMmapHandle.Adopt(at, request.Size)));
            }
            return (new(true, (ulong)at, ""), mapping);
        }
    }
}
