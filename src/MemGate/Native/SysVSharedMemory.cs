using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>System V shared memory (<c>shmat</c>, <c>shmdt</c>): how AFL++ hands its coverage map to a target.</summary>
internal static partial class SysVSharedMemory
{
    [LibraryImport("libc", EntryPoint = "shmat", SetLastError = true)]
    private static partial nint Shmat(int id, nint address, int flags);

    [LibraryImport("libc", EntryPoint = "shmdt", SetLastError = true)]
    private static partial int Shmdt(nint address);

    /// <summary>Attaches segment <paramref name="id"/> read-write; throws <see cref="NativeMemoryException"/> when the kernel refuses.</summary>
    public static nint Attach(int id)
    {
        nint address = Shmat(id, 0, 0);
        if (address == -1)
        {
            throw new NativeMemoryException($"shmat({id}) failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
        }
        return address;
    }

    /// <summary>Detaches a segment <see cref="Attach"/> returned.</summary>
    public static void Detach(nint address) => _ = Shmdt(address);
}
