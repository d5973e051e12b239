using MemGate.Native;

namespace MemGate;

/// <summary>
/// Reads the files a user names (device files, SVDs, firmware, region contents): only regular files,
/// and only up to a size limit, so <c>/dev/zero</c>, a FIFO or a directory fails at once with a clear
/// error instead of blocking in open() or filling memory; inputs meant to come from a pipe are read with a
/// smaller limit (<see cref="ReadAllBytesOrStream"/>).
/// </summary>
public static class InputFile
{
    /// <summary>Largest text file read (device files, configs, SVDs): far above any real one.</summary>
    public const long MaxTextBytes = 256L << 20;

    /// <summary>Largest binary file read (firmware images, region contents).</summary>
    public const long MaxBinaryBytes = 1L << 30;

    /// <summary>The bytes of <paramref name="path"/>; <paramref name="what"/> says what it is for in errors ("firmware file").</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="MemGateException">It is not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, string what, long maxBytes = MaxBinaryBytes)
    {
        Check(path, what);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        long length = stream.Length;
        if (length > maxBytes)
        {
            throw new MemGateException($"{what} '{path}' has {length:N0} bytes, more than the {maxBytes:N0} MemGate reads.");
        }
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Largest input read from a pipe or character device (<see cref="ReadAllBytesOrStream"/>).</summary>
    public const long MaxStreamBytes = 64L << 20;

    /// <summary>
    /// As <see cref="ReadAllBytes"/>, but a pipe or character device is read too, to its end (up to <see cref="MaxStreamBytes"/>):
    /// for inputs a user may generate on the fly (<c>--mmio-input &lt;(gen)</c>, <c>/dev/null</c> for none). A named FIFO
    /// waits for its writer, as any reader of one does.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="MemGateException">It is a directory, block device or socket, or gives too many bytes.</exception>
    public static byte[] ReadAllBytesOrStream(string path, string what)
    {
        if (Libc.FileType(path) is not (0x1000 or 0x2000))
        {
            return ReadAllBytes(path, what);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        using var bytes = new MemoryStream();
        var chunk = new byte[64 << 10];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (bytes.Length + read > MaxStreamBytes)
            {
                throw new MemGateException($"{what} '{path}' gives more than {MaxStreamBytes:N0} bytes, the most MemGate reads from a pipe or device.");
            }
            bytes.Write(chunk, 0, read);
        }
        return bytes.ToArray();
    }

    /// <summary>The text of <paramref name="path"/>: strict UTF-8 unless <paramref name="strictUtf8"/> is false (a byte order mark is skipped).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="MemGateException">It is not a regular file, larger than <paramref name="maxBytes"/>, or not valid UTF-8.</exception>
    public static string ReadAllText(string path, string what, long maxBytes = MaxTextBytes, bool strictUtf8 = true)
    {
        byte[] bytes = ReadAllBytes(path, what, maxBytes);
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try
        {
            // Strict: a lenient decoder turns bad bytes into U+FFFD, which then travels into names and output files.
            return (strictUtf8 ? Strict : System.Text.Encoding.UTF8).GetString(bytes, start, bytes.Length - start);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            int at = Math.Clamp(start + e.Index, 0, bytes.Length);
            int line = 1 + bytes.AsSpan(0, at).Count((byte)'\n');
            throw new MemGateException($"{path}:{line}: {what} is not valid UTF-8 (byte 0x{(e.BytesUnknown is { Length: > 0 } b ? b[0] : 0):X2} at offset {at}).");
        }
    }

    private static readonly System.Text.UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws unless <paramref name="path"/> is an existing regular file (symlinks followed).</summary>
    public static void Check(string path, string what)
    {
        // Checked before opening: opening a FIFO blocks until a writer appears.
        uint? type = Libc.FileType(path);
        if (type is null)
        {
            throw new FileNotFoundException($"{what} '{path}' does not exist or cannot be examined.", path);
        }
        if (type != Libc.RegularFile)
        {
            string kind = type switch
            {
                0x4000 => "a directory",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0x1000 => "a FIFO",
                0xC000 => "a socket",
                _ => "not a regular file",
            };
            throw new MemGateException($"{what} '{path}' is {kind}; MemGate reads only regular files.");
        }
    }
}
