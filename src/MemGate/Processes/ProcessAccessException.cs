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
}
