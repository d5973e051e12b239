using System.Runtime.InteropServices;

namespace MemGate.Cli.Native;

/// <summary>realpath(3): a path with every symbolic link, "." and ".." resolved, in every component.</summary>
internal static partial class RealPath
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint Resolve(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>The resolved path of an existing file or folder; null when it does not exist or cannot be reached.</summary>
    public static string? Of(string path)
    {
        nint resolved = Resolve(path, 0);   // glibc allocates the result
        if (resolved == 0)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }
}
