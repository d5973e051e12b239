using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Processes;

/// <summary>
/// Shares a range of one process's memory with another, for real: the pages the source sees are the
/// pages the target sees. It works where the range is backed by an object that can be mapped twice
/// (a memfd, POSIX shm, a MAP_SHARED file): the object is opened from outside the source
/// (<see cref="MappingObject"/>) and sent to the target, which must run a
/// <see cref="ProcessLinkReceiver"/> (<c>memgate ps receive</c>) because Linux cannot map
/// memory into a process from outside. Private anonymous memory has no such object and cannot be
/// shared after the fact; <see cref="Copy"/> sends a one-time copy instead.
/// </summary>
public static class ProcessLink
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Maps [<paramref name="address"/>, +<paramref name="size"/>) of <paramref name="sourcePid"/>
    /// (rounded out to whole pages, inside one mapping) into <paramref name="targetPid"/>: at
    /// <paramref name="targetAddress"/> when given (or an error), else at the same address when free there, else anywhere.
    /// </summary>
    /// <exception cref="ProcessAccessException">No such process, not allowed, the range is not in one shareable mapping, or the target does not receive links.</exception>
    public static ProcessLinkResult Link(int sourcePid, int targetPid, ulong address, ulong size, ulong? targetAddress = null)
    {
        var (region, start, length) = Locate(sourcePid, address, size);
        if (!region.IsShared)
        {
            string what = region.Inode == 0 ? $"private anonymous memory ({Describe(region)})" : $"a private copy-on-write mapping of {region.Path}";
            throw new ProcessAccessException(sourcePid,
                $"[0x{address:x}, +0x{size:x}) is {what}. Linux cannot share private pages after they exist: there is no object behind them that a second process could map. " +
                "A one-time copy is possible instead (memgate ps link --copy; later writes are not seen by the other side), or have the source allocate the memory from a memfd (MemGate's SharedMemoryBacking).");
        }
        var (handle, method) = MappingObject.Open(sourcePid, region);
        using (handle)
        {
            var request = new LinkMessage.Request(targetAddress is null ? 0 : LinkMessage.FixedAddress, targetAddress ?? start, length,
                region.Offset + (start - region.Start), Protection(region), sourcePid, start, region.Path);
            ulong mapped = Send(targetPid, request, handle);
            return new ProcessLinkResult(sourcePid, targetPid, start, mapped, length, region, method, IsCopy: false);
        }
    }

    /// <summary>
    /// Copies the range (whole pages, inside one readable mapping) into a new memfd and maps that into
    /// <paramref name="targetPid"/>: a snapshot for memory that cannot be shared; later writes on either side stay there.
    /// </summary>
    public static ProcessLinkResult Copy(int sourcePid, int targetPid, ulong address, ulong size, ulong? targetAddress = null)
    {
        var (region, start, length) = Locate(sourcePid, address, size);
        using var memfd = FileDescriptors.CreateMemfd($"memgate copy of {sourcePid}:{start:x}", length);
        using (var view = SafeMmapHandle.Map(length, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, fd: (int)memfd.DangerousGetHandle()))
        {
            const ulong chunk = 64 << 20;
            for (ulong done = 0; done < length; done += chunk)
            {
                unsafe
                {
                    ProcessMemory.Read(sourcePid, start + done, new Span<byte>((void*)(view.Pointer + (nint)done), (int)Math.Min(chunk, length - done)));
                }
            }
        }
        var request = new LinkMessage.Request(LinkMessage.Copy | (targetAddress is null ? 0 : LinkMessage.FixedAddress), targetAddress ?? start, length, 0,
            Libc.ProtRead | Libc.ProtWrite, sourcePid, start, $"copy of {(region.Path.Length > 0 ? region.Path : $"anonymous memory of process {sourcePid} at 0x{start:x}")}");
        ulong mapped = Send(targetPid, request, memfd);
        return new ProcessLinkResult(sourcePid, targetPid, start, mapped, length, region, "a copy through a new memfd", IsCopy: true);
    }

    // The mapping that holds the page-rounded range; the range may not leave it.
    private static (ProcessRegion Region, ulong Start, ulong Length) Locate(int pid, ulong address, ulong size)
    {
        ulong page = (ulong)Libc.PageSize;
        if (size == 0 || address + size < address)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"[0x{address:x}, +0x{size:x}) is empty or wraps around the address space");
        }
        ulong start = address & ~(page - 1);
        ulong end = checked(address + size + page - 1) & ~(page - 1);
        var regions = ProcessMaps.Read(pid);
        var region = regions.FirstOrDefault(r => address >= r.Start && address < r.End)
            ?? throw new ProcessAccessException(pid, $"0x{address:x} is outside every mapping of process {pid}");
        if (end > region.End)
        {
            throw new ProcessAccessException(pid, $"[0x{address:x}, +0x{size:x}) runs past the end of mapping {region.Start:x}-{region.End:x} {Describe(region)}; link one mapping at a time");
        }
        return (region, start, end - start);
    }

    private static ulong Send(int targetPid, LinkMessage.Request request, SafeFileHandle memory)
    {
        if (!Directory.Exists($"/proc/{targetPid}"))
        {
            throw new ProcessAccessException(targetPid, $"no process {targetPid} (it may have exited)");
        }
        int errno = UnixSocket.TryConnect(ProcessLinkReceiver.SocketName(targetPid), ReplyTimeout, out var socket);
        if (socket is null)
        {
            throw new ProcessAccessException(targetPid,
                $"does not receive links ({FileDescriptors.Describe(-errno)} on @{ProcessLinkReceiver.SocketName(targetPid)}). Linux cannot map memory into a process from outside: " +
                "the target must cooperate, by running `memgate ps receive` or calling ProcessLinkReceiver.Start() in it.");
        }
        using (socket)
        {
            var (peerPid, _) = UnixSocket.PeerCredentials(socket);
            if (peerPid != targetPid)
            {
                throw new ProcessAccessException(targetPid, $"the socket @{ProcessLinkReceiver.SocketName(targetPid)} belongs to process {peerPid}, not {targetPid}; refusing to send memory there");
            }
            Span<byte> buffer = stackalloc byte[LinkMessage.MaxSize];
            UnixSocket.Send(socket, buffer[..LinkMessage.Write(request, buffer)], memory);
            int n;
            try
            {
                n = UnixSocket.Receive(socket, buffer, out var unexpected);
                unexpected?.Dispose();
            }
            catch (NativeMemoryException e)
            {
                throw new ProcessAccessException(targetPid, $"did not answer the link request: {e.Message}", e);
            }
            if (!LinkMessage.TryRead(buffer[..n], out LinkMessage.Reply reply))
            {
                throw new ProcessAccessException(targetPid, n == 0 ? "closed the connection without answering the link request" : "answered the link request with a malformed reply");
            }
            return reply.Ok ? reply.Address : throw new ProcessAccessException(targetPid, $"refused the link: {reply.Message}");
        }
    }

    private static int Protection(ProcessRegion region) => (region.CanRead ? Libc.ProtRead : 0) | (region.CanWrite ? Libc.ProtWrite : 0);

    private static string Describe(ProcessRegion region) => region.Path.Length == 0 ? region.Class.ToString().ToLowerInvariant() : region.Path;
}
