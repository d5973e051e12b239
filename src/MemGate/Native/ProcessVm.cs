using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>process_vm_readv / process_vm_writev: another process's memory without ptrace-stopping it.</summary>
internal static unsafe partial class ProcessVm
{
    public const int Esrch = 3;    // no such process
    public const int Efault = 14;  // an address outside the process's mappings
    public const int Eperm = 1;    // not allowed (other user, ptrace_scope)

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "process_vm_readv", SetLastError = true)]
    private static partial nint ReadV(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport("libc", EntryPoint = "process_vm_writev", SetLastError = true)]
    private static partial nint WriteV(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="address"/> in <paramref name="pid"/>; returns bytes read, or -errno.</summary>
    public static long Read(int pid, ulong address, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var local = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var remote = new IoVec { Base = (void*)address, Length = (nuint)buffer.Length };
            nint n = ReadV(pid, &local, 1, &remote, 1, 0);
            return n >= 0 ? n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="address"/> in <paramref name="pid"/>; returns bytes written, or -errno.</summary>
    public static long Write(int pid, ulong address, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var local = new IoVec { Base = p, Length = (nuint)data.Length };
            var remote = new IoVec { Base = (void*)address, Length = (nuint)data.Length };
            nint n = WriteV(pid, &local, 1, &remote, 1, 0);
            return n >= 0 ? n : -Marshal.GetLastPInvokeError();
        }
    }
}
