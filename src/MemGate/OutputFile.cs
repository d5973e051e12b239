using System.Text;
using MemGate.Native;

namespace MemGate;

/// <summary>
/// Writes the files a user names as outputs (converted devices, maps, dumps) all or nothing: into a
/// uniquely named temporary file beside the target, renamed over it only once complete, so a failure
/// leaves the target as it was and no half file. Only a regular file is ever replaced: a device node,
/// FIFO, directory or symbolic link at the target is refused.
/// </summary>
public static class OutputFile
{
    /// <summary>Writes <paramref name="path"/> with what <paramref name="write"/> puts into the stream.</summary>
    /// <exception cref="MemGateException">The target exists and is not a regular file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        CheckReplaceable(path);
        string full = Path.GetFullPath(path);
        // Unique and beside the target: same file system, so the rename is atomic; never someone else's file.
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            FileStream created;
            try
            {
                created = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The message would name the temporary file, which the user never asked for.
                throw new MemGateException($"Output '{path}': cannot create a file in folder '{Path.GetDirectoryName(full)}' ({(e is UnauthorizedAccessException ? "permission denied" : e.GetType().Name)}).");
            }
            try
            {
                using (var stream = created)
                {
                    write(stream);
                }
                File.Move(temporary, full, overwrite: true);
            }
            catch (IOException e)
            {
                // A full disk or a quota, most likely: said of the file asked for, not of the temporary one.
                throw new MemGateException($"Output '{path}' could not be written ({Reason(e, temporary, full)}); it was left as it was.", e);
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Why writing through <paramref name="temporary"/> failed, said of <paramref name="target"/>: .NET's message names the
    /// temporary file (".x.tmp"), which the user never asked for, and ends in " : 'file'".
    /// </summary>
    internal static string Reason(IOException e, string temporary, string target) =>
        e.Message.Replace($" : '{temporary}'", "", StringComparison.Ordinal).Replace(temporary, target, StringComparison.Ordinal);

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text)));

    /// <summary>Throws unless <paramref name="path"/> is absent or a regular file (not a symbolic link).</summary>
    public static void CheckReplaceable(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target)
        {
            throw new MemGateException($"Output '{path}' is a symbolic link (to '{target}'); MemGate replaces only regular files.");
        }
        if (Directory.Exists(path))
        {
            throw new MemGateException($"Output '{path}' is a directory.");
        }
        if (info.Exists && Libc.FileType(path) is { } type && type != Libc.RegularFile)
        {
            throw new MemGateException($"Output '{path}' is not a regular file (a device, FIFO or socket); MemGate replaces only regular files.");
        }
        if (info.DirectoryName is { } folder && !Directory.Exists(folder))
        {
            throw new MemGateException($"Output '{path}': folder '{folder}' does not exist.");
        }
    }
}
