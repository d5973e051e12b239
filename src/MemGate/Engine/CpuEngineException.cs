namespace MemGate.Engine;

/// <summary>The CPU engine failed: an operation it refused, or the error it stopped a run with. Carries the engine's own message.</summary>
public sealed class CpuEngineException : MemGateException
{
    /// <summary>Creates the exception.</summary>
    public CpuEngineException(CpuEngineError error, int code, string message)
        : base(message)
    {
        Error = error;
        Code = code;
    }

    /// <summary>What kind of failure it was.</summary>
    public CpuEngineError Error { get; }

    /// <summary>The engine's own error code (for Unicorn, a <c>uc_err</c>).</summary>
    public int Code { get; }
}
