using MemGate.Native;

namespace MemGate.Processes;

/// <summary>Reads and writes another process's memory with process_vm_readv/writev; errors say which process, address and why.</summary>
public static class ProcessMemory
{
    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="address"/>; all or an exception.</summary>
    public static void Read(int pid, ulong address, Span<byte> buffer)
    {
        long n = ProcessVm.Read(pid, address, buffer);
        if (n != buffer.Length)
        {
            throw Failure(pid, address, buffer.Length, n, "read");
        }
    }

    /// <summary>Reads as much as possible; returns the bytes read (less than asked at the end of a mapping), or -errno.</summary>
    internal static long TryRead(int pid, ulong address, Span<byte> buffer) => ProcessVm.Read(pid, address, buffer);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="address"/>, or throws; a short write is reported as the failure it is.</summary>
    /// <exception cref="ProcessAccessException">No such process, not allowed, or part of the range is not writable; then nothing was written.</exception>
    public static void Write(int pid, ulong address, ReadOnlySpan<byte> data)
    {
        // The kernel writes page by page and stops at the first bad one, leaving the bytes before it
        // written; checking the whole range against the mappings first makes the write all or nothing.
        CheckWritable(pid, address, (ulong)data.Length);
        long n = ProcessVm.Write(pid, address, data);
        if (n != data.Length)
        {
            throw Failure(pid, address, data.Length, n, "write");
        }
    }

    private static void CheckWritable(int pid, ulong address, ulong length)
    {
        if (length == 0 || length - 1 > ulong.MaxValue - address)
        {
            throw new ProcessAccessException(pid, $"[0x{address:X}, +0x{length:X}) is empty or wraps around the address space");
        }
        ulong end = address + length;
        ulong cursor = address;
        foreach (var region in ProcessMaps.Read(pid).OrderBy(r => r.Start))
        {
            if (region.End <= cursor)
            {
                continue;
            }
            if (region.Start > cursor)
            {
                break;
            }
            if (!region.CanWrite)
            {
                throw new ProcessAccessException(pid, $"write of [0x{address:X}, +0x{length:X}) refused: 0x{cursor:X} is in the {region.Permissions} mapping [0x{region.Start:X}, 0x{region.End:X}); nothing was written");
            }
            cursor = region.End;
            if (cursor >= end)
            {
                return;
            }
        }
        throw new ProcessAccessException(pid, $"write of [0x{address:X}, +0x{length:X}) refused: 0x{cursor:X} is in no mapping; nothing was written");
    }

    private static ProcessAccessException Failure(int pid, ulong address, int size, long result, string what) => result switch
    {
        // process_vm_readv/writev say ESRCH also for a live process without user memory (a kernel thread).
        -ProcessVm.Esrch => new ProcessAccessException(pid, Directory.Exists($"/proc/{pid}")
            ? "it has no user memory to read or write (a kernel thread, or a process that is exiting)"
            : "no such process (it may have exited)"),
        -ProcessVm.Eperm => new ProcessAccessException(pid, $"not allowed to {what} its memory: it needs the same user or CAP_SYS_PTRACE{ProcessAccessException.PtraceScopeHint}"),
        -ProcessVm.Efault => new ProcessAccessException(pid, $"{what} of [0x{address:X}, +0x{size:X}) failed: {WhereItStops(pid, address, what)}"),
        < 0 => new ProcessAccessException(pid, $"{what} of [0x{address:X}, +0x{size:X}) failed: {Native.FileDescriptors.Describe((int)-result)}"),
        _ => new ProcessAccessException(pid, $"{what} of [0x{address:X}, +0x{size:X}) stopped after {result} bytes: {WhereItStops(pid, address + (ulong)result, what)}"),
    };

    // Why the kernel stopped at `at`: no mapping there, one without the permission, or a mapping whose page there has
    // nothing behind it (a file mapped past the file's end: the process itself would get SIGBUS).
    private static string WhereItStops(int pid, ulong at, string what)
    {
        ProcessRegion? region;
        try
        {
            region = ProcessMaps.Read(pid).FirstOrDefault(r => at >= r.Start && at < r.End);
        }
        catch (Exception e) when (e is ProcessAccessException or IOException or FormatException or UnauthorizedAccessException)
        {
            return $"0x{at:X} could not be reached, and its mappings can no longer be read";
        }
        if (region is null)
        {
            return $"0x{at:X} is in no mapping";
        }
        string mapping = $"0x{at:X} is in the {region.Permissions} mapping [0x{region.Start:X}, 0x{region.End:X}){(region.Path.Length > 0 ? $" {region.Path}" : "")}";
        bool reading = what == "read";
        return (reading ? region.CanRead : region.CanWrite)
            ? $"{mapping}, but its page there has nothing behind it (a file mapped past the file's end, or memory the process could not fault in)"
            : $"{mapping}, which is not {(reading ? "readable" : "writable")}";
    }
}
