using System.Globalization;
using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Processes;

/// <summary>
/// Opens the object (memfd, POSIX shm, file) behind another process's shared mapping, trying in
/// turn: a descriptor the process still holds (pidfd_getfd, needs ptrace access), the mapping
/// itself through /proc/PID/map_files (needs CAP_SYS_ADMIN), and the file's path when it still
/// names the same inode.
/// </summary>
internal static class MappingObject
{
    public static (SafeFileHandle Handle, string Method) Open(int pid, ProcessRegion region)
    {
        bool writable = region.CanWrite;
        var attempts = new List<string>();

        int errno = FileDescriptors.TryOpenProcess(pid, out var pidfd);
        if (pidfd is not null)
        {
            using (pidfd)
            {
                foreach (int fd in MatchingDescriptors(pid, region, writable))
                {
                    errno = FileDescriptors.TryDuplicateFrom(pidfd, fd, out var duplicate);
                    if (duplicate is not null)
                    {
                        return (duplicate, $"pidfd_getfd of its fd {fd}");
                    }
                    attempts.Add($"pidfd_getfd of fd {fd}: {FileDescriptors.Describe(-errno)}");
                }
            }
        }
        else
        {
            attempts.Add($"pidfd_open: {FileDescriptors.Describe(-errno)}");
        }
        if (attempts.Count == 0)
        {
            attempts.Add("it holds no open descriptor of that object");
        }

        string mapFile = $"/proc/{pid}/map_files/{region.Start:x}-{region.End:x}";
        errno = FileDescriptors.TryOpen(mapFile, writable ? FileDescriptors.ReadWrite : FileDescriptors.ReadOnly, out var mapped);
        if (mapped is not null)
        {
            return (mapped, mapFile);
        }
        attempts.Add($"{mapFile}: {FileDescriptors.Describe(-errno)}{(errno is -1 or -13 ? " (opening map_files needs CAP_SYS_ADMIN)" : "")}");

        string path = region.Path;
        if (path.StartsWith('/') && !path.EndsWith(" (deleted)", StringComparison.Ordinal) && FileDescriptors.TryIdentity(path, out string device, out ulong inode)
            && device == region.Device && inode == region.Inode)
        {
            errno = FileDescriptors.TryOpen(path, writable ? FileDescriptors.ReadWrite : FileDescriptors.ReadOnly, out var file);
            if (file is not null)
            {
                return (file, $"the file {path}");
            }
            attempts.Add($"{path}: {FileDescriptors.Describe(-errno)}");
        }
        throw new ProcessAccessException(pid, $"cannot obtain the object behind {region.Start:x}-{region.End:x} {region.Path}: {string.Join("; ", attempts)}");
    }

    // The process's descriptors that name the mapped object (same device and inode) and allow the access the mapping has.
    private static IEnumerable<int> MatchingDescriptors(int pid, ProcessRegion region, bool writable)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
                || !FileDescriptors.TryIdentity(entry, out string device, out ulong inode) || device != region.Device || inode != region.Inode)
            {
                continue;
            }
            if (!writable || OpenedForWriting(pid, fd))
            {
                yield return fd;
            }
        }
    }

    // /proc/PID/fdinfo/N: "flags:\t0100002" (octal); O_ACCMODE 2 is O_RDWR.
    private static bool OpenedForWriting(int pid, int fd)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/fdinfo/{fd}"))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    return (Convert.ToInt32(line[6..].Trim(), 8) & 3) == FileDescriptors.ReadWrite;
                }
            }
        }
        catch (IOException)
        {
        }
        return false;
    }
}
