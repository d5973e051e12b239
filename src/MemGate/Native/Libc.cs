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
    public const int MadvNoHugePage = 15;

    public static readonly nint MapFailed = -1;

    public const int PrSetThpDisable = 41;
    public const int PrGetThpDisable = 42;

    public const int SignalSegv = 11;

    [LibraryImport("libc", EntryPoint = "signal")]
    public static partial nint Signal(int number, nint handler);   // handler 0: SIG_DFL

    [LibraryImport("libc", EntryPoint = "raise")]
    public static partial int Raise(int number);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);

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

    /// <summary>S_IFREG: the <see cref="FileType"/> of a regular file.</summary>
    public const uint RegularFile = 0x8000;

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

    // Beyond this, mincore's cost (the kernel fills one byte per page, mapped or not) outgrows reading smaps.
    private const ulong HugeRange = 64UL << 30;

    // The kernel's own Rss of the mappings inside the range: it walks only populated page tables, so a
    // 64 TiB reservation with nothing in it costs nothing. Null if smaps cannot be read.
    private static ulong? ResidentPagesFromSmaps(nint address, ulong length)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/smaps");
        }
        catch (IOException)
        {
            return null;
        }
        ulong start = (ulong)address, end = start + length, kilobytes = 0;
        bool inside = false;
        foreach (string line in lines)
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ulong from)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ulong to))
            {
                inside = from >= start && to <= end;
            }
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture, out ulong kb))
            {
                kilobytes += kb;
            }
        }
        return kilobytes * 1024 / (ulong)PageSize;
    }

    /// <summary>
    /// Counts the resident host pages in [address, address + length) with mincore(2).
    /// Used to show that untouched guest memory costs nothing.
    /// </summary>
    public static unsafe ulong CountResidentPages(nint address, ulong length)
    {
        if (length > HugeRange && ResidentPagesFromSmaps(address, length) is { } counted)
        {
            return counted;
        }
        ulong pages = RoundUpToPage(length) / (ulong)PageSize;
        // Large chunks: a 64 TiB reservation is 16 G pages, and asking 64 Ki pages at a time took half a minute.
        const int chunkPages = 1 << 20;
        byte[] vector = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(chunkPages, Math.Max(pages, 1)));
        try
        {
            ulong resident = 0;
            fixed (byte* v = vector)
            {
                for (ulong done = 0; done < pages; done += chunkPages)
                {
                    int n = (int)Math.Min(chunkPages, pages - done);
                    nint at = address + (nint)(done * (ulong)PageSize);
                    if (Mincore(at, (nuint)((ulong)n * (ulong)PageSize), v) != 0)
                    {
                        throw NativeMemoryException.FromErrno($"mincore(0x{at:x}, {n} pages)");
                    }
                    var chunk = vector.AsSpan(0, n);
                    for (int i = chunk.IndexOfAnyExcept((byte)0); i >= 0 && i < chunk.Length; i++)
                    {
                        resident += (ulong)(chunk[i] & 1);
                    }
                }
            }
            return resident;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(vector);
        }
    }
}
