using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>A host memory call (mmap, mprotect, …) failed; the message names the call and errno.</summary>
public sealed class NativeMemoryException : MemGateException
{
    /// <summary>Creates the exception for a failed call.</summary>
    public NativeMemoryException(string message, int errno) : base(message) => Errno = errno;

    /// <summary>The errno the call returned.</summary>
    public int Errno { get; }

    internal static NativeMemoryException FromErrno(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new NativeMemoryException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }
}
