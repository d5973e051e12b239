using System.Runtime.InteropServices;

namespace MemGate.Cli.Native;

/// <summary>
/// A write-only stream on an inherited descriptor (standard output or error) that calls write(2) and nothing else, as
/// a C program's stdout does: the descriptor's own file position moves, shared with the shell and with the other
/// stream (a FileStream on a regular file writes at a position of its own with pwrite, so `&gt; log 2&gt;&amp;1` lost text).
/// A closed pipe (EPIPE) drops the bytes, as .NET's console does (`memgate … | head`).
/// </summary>
internal sealed unsafe partial class DescriptorStream(int fd) : Stream
{
    private const int Interrupted = 4;    // EINTR
    private const int WouldBlock = 11;    // EAGAIN: a descriptor the shell left non-blocking
    private const int BrokenPipe = 32;    // EPIPE

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteBytes(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command);

    /// <summary>Whether <paramref name="fd"/> is an open descriptor (fcntl F_GETFD).</summary>
    public static bool IsOpen(int fd) => Fcntl(fd, 1) >= 0;

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollDescriptor* descriptors, nuint count, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = WriteBytes(fd, start + done, (nuint)(buffer.Length - done));
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                if (errno == WouldBlock)
                {
                    var wait = new PollDescriptor { Fd = fd, Events = 4 };   // POLLOUT
                    Poll(&wait, 1, -1);
                    continue;
                }
                if (errno == BrokenPipe)
                {
                    return;
                }
                throw new OutputFailedException($"write to descriptor {fd} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
