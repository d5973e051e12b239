using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Machine code MemGate generates for native hooks (x86-64 only), placed in a page of its own.</summary>
internal static unsafe class ExecutableCode
{
    /// <summary>
    /// Copies <paramref name="code"/> into a private page and makes it read+execute (never writable and
    /// executable at once); returns its address, valid for the life of the process.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    public static nint Place(ReadOnlySpan<byte> code, string what)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException($"{what} is x86-64 code; MemGate runs firmware on Linux x86-64.");
        }
        const ulong Page = 4096;
        nint page = Libc.MmapOrThrow(0, Page, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous);
        code.CopyTo(new Span<byte>((void*)page, code.Length));
        Libc.MprotectOrThrow(page, Page, Libc.ProtRead | Libc.ProtExec);
        return page;
    }
}
