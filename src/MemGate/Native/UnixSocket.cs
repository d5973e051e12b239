using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Native;

/// <summary>
/// Unix-domain SOCK_SEQPACKET sockets in the abstract namespace, with one file descriptor passed
/// alongside a message (SCM_RIGHTS). .NET's Socket cannot pass descriptors, hence these calls.
/// Seqpacket keeps message boundaries, so one send is one receive.
/// </summary>
internal static unsafe partial class UnixSocket
{
    private const int AfUnix = 1;
    private const int SockSeqpacket = 5;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int SoPeerCred = 17;
    private const int SoReceiveTimeout = 20;
    private const int SoSendTimeout = 21;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int MsgNoSignal = 0x4000;
    private const int ShutReadWrite = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    // cmsghdr (len, level, type) followed by one int, padded to 8 bytes: CMSG_SPACE(sizeof(int)) = 24.
    [StructLayout(LayoutKind.Sequential)]
    private struct FdControl
    {
        public nuint Length;
        public int Level;
        public int Type;
        public int Fd;
        public int Padding;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(SafeFileHandle fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int ListenOn(SafeFileHandle fd, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(SafeFileHandle fd, void* address, void* length, int flags);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int ConnectTo(SafeFileHandle fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(SafeFileHandle fd, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint ReceiveMessage(SafeFileHandle fd, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetOption(SafeFileHandle fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetOption(SafeFileHandle fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int ShutdownSocket(SafeFileHandle fd, int how);

    /// <summary>A listening socket bound to the abstract name <paramref name="name"/>.</summary>
    public static SafeFileHandle Listen(string name)
    {
        var socket = Create();
        byte* address = stackalloc byte[110];
        uint length = Address(name, address);
        if (Bind(socket, address, length) != 0 || ListenOn(socket, 8) != 0)
        {
            var e = NativeMemoryException.FromErrno($"bind/listen on unix socket @{name}");
            socket.Dispose();
            throw e;
        }
        return socket;
    }

    /// <summary>The next connection, or null once the listener has been shut down.</summary>
    public static SafeFileHandle? Accept(SafeFileHandle listener)
    {
        while (true)
        {
            int fd = Accept4(listener, null, null, SockCloexec);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != 4 && errno != 103) // EINTR, ECONNABORTED: try again; anything else means shut down
            {
                return null;
            }
        }
    }

    /// <summary>Connects to the abstract name; -errno on failure (ECONNREFUSED = nobody listens).</summary>
    public static int TryConnect(string name, TimeSpan timeout, out SafeFileHandle? socket)
    {
        socket = Create();
        byte* address = stackalloc byte[110];
        uint length = Address(name, address);
        if (ConnectTo(socket, address, length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            socket.Dispose();
            socket = null;
            return -errno;
        }
        SetTimeouts(socket, timeout);
        return 0;
    }

    /// <summary>Sends and receives on <paramref name="socket"/> give up after <paramref name="timeout"/> (EAGAIN) instead of blocking for ever.</summary>
    public static void SetTimeouts(SafeFileHandle socket, TimeSpan timeout)
    {
        long* time = stackalloc long[2] { (long)timeout.TotalSeconds, timeout.Milliseconds * 1000L };
        SetOption(socket, SolSocket, SoReceiveTimeout, time, 16);
        SetOption(socket, SolSocket, SoSendTimeout, time, 16);
    }

    /// <summary>Sends one message, with <paramref name="fd"/> attached when given.</summary>
    public static void Send(SafeFileHandle socket, ReadOnlySpan<byte> data, SafeFileHandle? fd = null)
    {
        fixed (byte* p = data)
        {
            var vector = new IoVec { Base = p, Length = (nuint)data.Length };
            var control = new FdControl { Length = 20, Level = SolSocket, Type = ScmRights, Fd = fd is null ? -1 : (int)fd.DangerousGetHandle() };
            var header = new MessageHeader { Vectors = &vector, VectorCount = 1 };
            if (fd is not null)
            {
                header.Control = &control;
                header.ControlLength = (nuint)sizeof(FdControl);
            }
            if (SendMessage(socket, &header, MsgNoSignal) != data.Length)
            {
                throw NativeMemoryException.FromErrno("sendmsg on a unix socket");
            }
            GC.KeepAlive(fd);
        }
    }

    /// <summary>Receives one message into <paramref name="buffer"/> and the descriptor sent with it, if any; 0 bytes means the peer closed.</summary>
    public static int Receive(SafeFileHandle socket, Span<byte> buffer, out SafeFileHandle? fd)
    {
        fd = null;
        fixed (byte* p = buffer)
        {
            var vector = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var control = new FdControl();
            var header = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = &control, ControlLength = (nuint)sizeof(FdControl) };
            nint n = ReceiveMessage(socket, &header, MsgCmsgCloexec);
            if (n < 0)
            {
                throw NativeMemoryException.FromErrno("recvmsg on a unix socket");
            }
            if (header.ControlLength >= 20 && control.Level == SolSocket && control.Type == ScmRights)
            {
                fd = new SafeFileHandle(control.Fd, ownsHandle: true);
            }
            return (int)n;
        }
    }

    /// <summary>The pid and uid of the process at the other end (SO_PEERCRED), as the kernel recorded them at connect.</summary>
    public static (int Pid, uint Uid) PeerCredentials(SafeFileHandle socket)
    {
        int* credentials = stackalloc int[3];
        uint length = 12;
        if (GetOption(socket, SolSocket, SoPeerCred, credentials, &length) != 0)
        {
            throw NativeMemoryException.FromErrno("getsockopt(SO_PEERCRED)");
        }
        return (credentials[0], (uint)credentials[1]);
    }

    /// <summary>Shuts the socket down: a thread blocked in accept or recvmsg on it returns.</summary>
    public static void Shutdown(SafeFileHandle socket) => ShutdownSocket(socket, ShutReadWrite);

    private static SafeFileHandle Create()
    {
        int fd = Socket(AfUnix, SockSeqpacket | SockCloexec, 0);
        if (fd < 0)
        {
            throw NativeMemoryException.FromErrno("socket(AF_UNIX, SOCK_SEQPACKET)");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    // sockaddr_un for an abstract name: family, then a NUL, then the name (no terminator).
    private static uint Address(string name, byte* address)
    {
        *(ushort*)address = AfUnix;
        address[2] = 0;
        int length = Encoding.UTF8.GetBytes(name, new Span<byte>(address + 3, 105));
        return (uint)(3 + length);
    }
}
