namespace MemGate;

/// <summary>
/// Base of every exception MemGate throws on purpose: a bad file, a bad argument value, a guest fault,
/// a refused process access. Callers (the CLI) report these as the input's fault; any other exception
/// type coming out of MemGate is a bug.
/// </summary>
public class MemGateException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public MemGateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
