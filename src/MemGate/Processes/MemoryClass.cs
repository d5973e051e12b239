namespace MemGate.Processes;

/// <summary>What a mapping of a process is, judged from its path and flags.</summary>
public enum MemoryClass
{
    /// <summary>Anonymous memory without a name.</summary>
    Anonymous,

    /// <summary>[heap].</summary>
    Heap,

    /// <summary>[stack], the main thread's stack.</summary>
    Stack,

    /// <summary>[stack:TID] or a named thread stack.</summary>
    ThreadStack,

    /// <summary>A mapped file.</summary>
    File,

    /// <summary>Shared memory: memfd, /dev/shm, SysV shm.</summary>
    SharedMemory,

    /// <summary>[vdso].</summary>
    Vdso,

    /// <summary>[vvar].</summary>
    Vvar,

    /// <summary>[vsyscall].</summary>
    Vsyscall,

    /// <summary>Named anonymous memory ([anon:NAME]).</summary>
    NamedAnonymous,
}
