using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// The libc calls MemGate makes. Every <c>[LibraryImport]</c> of the library lives in this folder so
/// the rest of the code never sees errno: failures become <see cref="NativeMemoryException"/>.
/// </summary>
internal static partial class Libc
{
    public const int ProtNone = 0;
    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int ProtExec = 4;

    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapFixed = 0x10;
    public const int MapAnonymous = 0x20;
    public const int MapNoReserve = 0x4000;
    public const int MapFixedNoReplace = 0x100000;

    public const int MadvDontNeed = 4;
    public const int MadvHugePage = 14;

    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    public static unsafe partial int Mincore(nint address, nuint length, byte* vector);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint EffectiveUserId();

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    /// <summary>The file type bits (S_IFMT) of <paramref name="path"/> after symlinks, or null when it cannot be examined.</summary>
    public static unsafe uint? FileType(string path)
    {
        // struct stat is 144 bytes on x86-64 Linux; st_mode is the 32-bit field at offset 24.
        byte* buffer = stackalloc byte[256];
        return Stat(path, buffer) == 0 ? *(uint*)(buffer + 24) & 0xF000 : null;
    }

    /// <summary>The host page size (4096 on x86-64 Linux).</summary>
    public static int PageSize { get; } = Environment.SystemPageSize;

    /// <summary>Rounds <paramref name="length"/> up to a whole number of host pages.</summary>
    public static ulong RoundUpToPage(ulong length)
    {
        ulong mask = (ulong)PageSize - 1;
        return checked(length + mask) & ~mask;
    }

    /// <summary>mmap that throws with the call's arguments and errno on failure.</summary>
    public static nint MmapOrThrow(nint address, ulong length, int protection, int flags, int fd = -1, long offset = 0)
    {
        nint result = Mmap(address, (nuint)length, protection, flags, fd, offset);
        if (result == MapFailed)
        {
            throw NativeMemoryException.FromErrno(
                $"mmap(0x{address:x}, {length:N0} bytes, prot {protection}, flags 0x{flags:x})");
        }
        return result;
    }

    /// <summary>mprotect that throws with errno on failure.</summary>
    public static void MprotectOrThrow(nint address, ulong length, int protection)
    {
        if (Mprotect(address, (nuint)length, protection) != 0)
        {
            throw NativeMemoryException.FromErrno($"mprotect(0x{address:x}, {length:N0} bytes, prot {protection})");
        }
    }

    /// <summary>munmap that throws with errno on failure.</summary>
    public static void MunmapOrThrow(nint address, ulong length)
    {
        if (Munmap(address, (nuint)length) != 0)
        {
            throw NativeMemoryException.FromErrno($"munmap(0x{address:x}, {length:N0} bytes)");
        }
    }

    /// <summary>
    /// Counts the resident host pages in [address, address + length) with mincore(2).
    /// Used to show that untouched guest memory costs nothing.
    /// </summary>
    public static unsafe ulong CountResidentPages(nint address, ulong length)
    {
        ulong pages = RoundUpToPage(length) / (ulong)PageSize;
        ulong resident = 0;
        const int chunkPages = 64 * 1024;
        byte* vector = stackalloc byte[chunkPages];
        for (ulong done = 0; done < pages; done += chunkPages)
        {
            ulong n = Math.Min(chunkPages, pages - done);
            nint chunk = address + (nint)(done * (ulong)PageSize);
            if (Mincore(chunk, (nuint)(n * (ulong)PageSize), vector) != 0)
            {
                throw NativeMemoryException.FromErrno($"mincore(0x{chunk:x}, {n} pages)");
            }
            for (ulong i = 0; i < n; i++)
            {
                resident += (ulong)(vector[i] & 1);
            }
        }
        return resident;
    }
}
