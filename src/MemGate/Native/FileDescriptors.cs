using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Native;

/// <summary>
/// File-descriptor calls for sharing memory between processes: memfds, opening another process's
/// files, pidfds and the identity (device, inode) that /proc/PID/maps prints for a mapping.
/// </summary>
internal static unsafe partial class FileDescriptors
{
    public const int ReadOnly = 0;
    public const int ReadWrite = 2;
    public const int CloseOnExec = 0x80000;
    public const int MfdCloexec = 1;
    public const int MfdAllowSealing = 2;
    public const int MadvRemove = 9;

    private const long SysPidfdOpen = 434;
    private const long SysPidfdGetfd = 438;

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(SafeFileHandle fd, long length);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(SafeFileHandle fd, long offset, int whence);

    /// <summary>
    /// The runs of [offset, offset + length) of a file that hold data (lseek SEEK_DATA / SEEK_HOLE), in order, each
    /// as (start, length) relative to <paramref name="offset"/>. For a memfd (shmem) a page holds data once anyone
    /// wrote it, through any mapping, whether it is resident or swapped out.
    /// </summary>
    public static List<(ulong Start, ulong Length)> DataRuns(SafeFileHandle file, ulong offset, ulong length)
    {
        const int seekData = 3, seekHole = 4;
        const int noData = 6;   // ENXIO: no data at or after the offset
        var runs = new List<(ulong Start, ulong Length)>();
        ulong end = offset + length;
        for (ulong at = offset; at < end;)
        {
            long data = Lseek(file, (long)at, seekData);
            if (data < 0)
            {
                if (Marshal.GetLastPInvokeError() == noData)
                {
                    break;
                }
                throw NativeMemoryException.FromErrno($"lseek(SEEK_DATA, {at:N0})");
            }
            if ((ulong)data >= end)
            {
                break;
            }
            long hole = Lseek(file, data, seekHole);
            if (hole < 0)
            {
                throw NativeMemoryException.FromErrno($"lseek(SEEK_HOLE, {data:N0})");
            }
            ulong stop = Math.Min((ulong)hole, end);
            runs.Add(((ulong)data - offset, stop - (ulong)data));
            at = stop;
        }
        return runs;
    }

    /// <summary>A new memfd of <paramref name="length"/> bytes (close-on-exec); the name shows in /proc/PID/maps as "/memfd:NAME".</summary>
    public static SafeFileHandle CreateMemfd(string name, ulong length, bool sealable = false)
    {
        int fd = MemfdCreate(name, (uint)(MfdCloexec | (sealable ? MfdAllowSealing : 0)));
        if (fd < 0)
        {
            throw NativeMemoryException.FromErrno($"memfd_create(\"{name}\")");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Ftruncate(handle, checked((long)length)) != 0)
        {
            var e = NativeMemoryException.FromErrno($"ftruncate(memfd \"{name}\", {length:N0} bytes)");
            handle.Dispose();
            throw e;
        }
        return handle;
    }

    /// <summary>
    /// Seals a memfd (made with <c>sealable</c>) against writes, size changes and further seals: no one can change
    /// its contents any more, while private (copy-on-write) mappings of it stay writable. Fails while a shared
    /// writable mapping of it exists.
    /// </summary>
    public static void SealContents(SafeFileHandle memfd)
    {
        const int addSeals = 1033;   // F_ADD_SEALS
        const int seals = 1 | 2 | 4 | 8;   // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
        if (Fcntl(memfd, addSeals, seals) != 0)
        {
            throw NativeMemoryException.FromErrno("fcntl(F_ADD_SEALS) on a memfd");
        }
    }

    /// <summary>Keeps <paramref name="fd"/> from the programs this process starts (FD_CLOEXEC); false when it could not be set.</summary>
    public static bool KeepFromChildren(SafeFileHandle fd)
    {
        const int setFlags = 2;   // F_SETFD
        const int closeOnExecFlag = 1;   // FD_CLOEXEC
        return Fcntl(fd, setFlags, closeOnExecFlag) == 0;
    }

    /// <summary>Flushes a folder's entries to disk (after a rename into it), so the new name survives a crash.</summary>
    public static void SyncDirectory(string path)
    {
        const int directoryFlag = 0x10000;   // O_DIRECTORY
        if (TryOpen(path, ReadOnly | directoryFlag, out var handle) != 0 || handle is null)
        {
            throw NativeMemoryException.FromErrno($"open(\"{path}\")");
        }
        using (handle)
        {
            if (Fsync(handle) != 0)
            {
                throw NativeMemoryException.FromErrno($"fsync(\"{path}\")");
            }
        }
    }

    /// <summary>open(2), close-on-exec; a failure returns -errno.</summary>
    public static int TryOpen(string path, int flags, out SafeFileHandle? handle)
    {
        int fd = Open(path, flags | CloseOnExec, 0);
        handle = fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
        return fd >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// The device and inode of what <paramref name="path"/> names, as /proc/PID/maps prints them
    /// ("major:minor" in hex, inode in decimal); false when it cannot be stat'ed.
    /// </summary>
    public static bool TryIdentity(string path, out string device, out ulong inode)
    {
        // struct stat on x86-64: st_dev at 0, st_ino at 8; 144 bytes in all.
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            (device, inode) = ("", 0);
            return false;
        }
        ulong dev = *(ulong*)buffer;
        inode = *(ulong*)(buffer + 8);
        ulong major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFFUL);
        ulong minor = (dev & 0xFF) | ((dev >> 12) & ~0xFFUL);
        device = $"{major:x2}:{minor:x2}";
        return true;
    }

    /// <summary>pidfd_open(2): a handle on a process that cannot be confused with a later process of the same number; -errno on failure.</summary>
    public static int TryOpenProcess(int pid, out SafeFileHandle? pidfd)
    {
        long fd = Syscall(SysPidfdOpen, pid, 0, 0);
        pidfd = fd >= 0 ? new SafeFileHandle((nint)fd, ownsHandle: true) : null;
        return fd >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>pidfd_getfd(2): a duplicate of another process's descriptor <paramref name="targetFd"/> (needs ptrace access to it); -errno on failure.</summary>
    public static int TryDuplicateFrom(SafeFileHandle pidfd, int targetFd, out SafeFileHandle? handle)
    {
        long fd = Syscall(SysPidfdGetfd, pidfd.DangerousGetHandle(), targetFd, 0);
        handle = fd >= 0 ? new SafeFileHandle((nint)fd, ownsHandle: true) : null;
        return fd >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>The errno's message, for errors that carry -errno results.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
