namespace MemGate.Processes;

/// <summary>
/// One line of /proc/PID/maps, with the figures of smaps when they were read (kB values as bytes).
/// </summary>
/// <param name="Start">First address.</param>
/// <param name="End">One past the last address.</param>
/// <param name="Permissions">"rwxp" as the kernel prints it (p private, s shared).</param>
/// <param name="Offset">File offset.</param>
/// <param name="Device">"major:minor".</param>
/// <param name="Inode">Inode of the file, 0 for anonymous memory.</param>
/// <param name="Path">The path or pseudo-path ("[heap]", "/memfd:x (deleted)"), or empty.</param>
public sealed record ProcessRegion(ulong Start, ulong End, string Permissions, ulong Offset, string Device, ulong Inode, string Path)
{
    /// <summary>Size in bytes.</summary>
    public ulong Size => End - Start;

    /// <summary>Readable.</summary>
    public bool CanRead => Permissions.Length > 0 && Permissions[0] == 'r';

    /// <summary>Writable.</summary>
    public bool CanWrite => Permissions.Length > 1 && Permissions[1] == 'w';

    /// <summary>Executable.</summary>
    public bool CanExecute => Permissions.Length > 2 && Permissions[2] == 'x';

    /// <summary>Mapped MAP_SHARED.</summary>
    public bool IsShared => Permissions.Length > 3 && Permissions[3] == 's';

    /// <summary>What the mapping is.</summary>
    public MemoryClass Class => Path switch
    {
        "[heap]" => MemoryClass.Heap,
        "[stack]" => MemoryClass.Stack,
        "[vdso]" => MemoryClass.Vdso,
        "[vvar]" or "[vvar_vclock]" => MemoryClass.Vvar,   // Linux 6.13 put the clock pages in a mapping of their own
        "[vsyscall]" => MemoryClass.Vsyscall,
        "" => MemoryClass.Anonymous,
        _ when Path.StartsWith("[stack:", StringComparison.Ordinal) => MemoryClass.ThreadStack,
        _ when Path.StartsWith("[anon:", StringComparison.Ordinal) => Path.Contains("stack", StringComparison.OrdinalIgnoreCase) ? MemoryClass.ThreadStack : MemoryClass.NamedAnonymous,
        _ when Path.StartsWith("/memfd:", StringComparison.Ordinal) || Path.StartsWith("/dev/shm/", StringComparison.Ordinal) || Path.StartsWith("/SYSV", StringComparison.Ordinal) => MemoryClass.SharedMemory,
        _ => MemoryClass.File,
    };

    /// <summary>smaps figures (Rss, Pss, Shared_Clean, …, in bytes) when read with details.</summary>
    public IReadOnlyDictionary<string, ulong> Details { get; init; } = new Dictionary<string, ulong>();

    /// <summary>A smaps figure in bytes, 0 when absent.</summary>
    public ulong Detail(string name) => Details.TryGetValue(name, out ulong value) ? value : 0;
}
