namespace MemGate.Processes;

/// <summary>Another process's memory could not be read or written: no such process, not allowed, or an address outside its mappings.</summary>
public sealed class ProcessAccessException : MemGateException
{
    /// <summary>Creates the exception.</summary>
    public ProcessAccessException(int pid, string message, Exception? inner = null)
        : base($"process {pid}: {message}", inner)
    {
        Pid = pid;
    }

    /// <summary>The process.</summary>
    public int Pid { get; }

    // Where a refusal may come from besides the user: Yama's ptrace_scope, on kernels that have it.
    internal static string PtraceScopeHint => File.Exists("/proc/sys/kernel/yama/ptrace_scope") ? " (see /proc/sys/kernel/yama/ptrace_scope)" : "";
}
