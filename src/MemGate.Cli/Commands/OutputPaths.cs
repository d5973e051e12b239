using MemGate.Cli.Native;

namespace MemGate.Cli.Commands;

/// <summary>
/// Checks a command's output files before it starts work: each must be writable where it is named (no missing
/// folder, no directory or device in its place), and none may be one of the command's inputs (a snapshot or trace
/// written over the firmware image would lose it). A run that cannot save what it was asked for then never starts.
/// </summary>
internal static class OutputPaths
{
    /// <param name="outputs">Each output option and its path (null: not given; "-": standard error).</param>
    /// <param name="inputs">The files the command reads (null or not a file: ignored).</param>
    /// <exception cref="CommandInputException">An output that cannot be written.</exception>
    /// <exception cref="CommandUsageException">An output that names an input or another output.</exception>
    public static void Check(IEnumerable<(string Option, string? Path)> outputs, IEnumerable<string?> inputs)
    {
        var read = inputs.OfType<string>().Where(File.Exists).Select(Resolved).ToHashSet();
        var written = new Dictionary<string, string>();
        foreach (var (option, path) in outputs)
        {
            if (path is null or "-")
            {
                continue;
            }
            try
            {
                OutputFile.CheckReplaceable(path);
            }
            catch (MemGateException e)
            {
                throw new CommandInputException($"{option}: {e.Message}");
            }
            string full = Resolved(path);
            if (read.Contains(full))
            {
                throw new CommandUsageException($"{option} {path}: that file is an input of this command; give another name (it would be overwritten).");
            }
            if (!written.TryAdd(full, option))
            {
                throw new CommandUsageException($"{option} {path}: {written[full]} writes that file too; give each output its own file.");
            }
        }
    }

    /// <summary>Whether two paths name the same file or folder, through symbolic links (one that does not exist yet by its folder and name).</summary>
    public static bool SameFile(string first, string second) => Resolved(first.TrimEnd('/')) == Resolved(second.TrimEnd('/'));

    // The file a path names, through symbolic links in any of its folders or itself, so two names for one file
    // compare equal. A file not there yet: its folder resolved, and its name.
    private static string Resolved(string path)
    {
        string full = Path.GetFullPath(path);
        return RealPath.Of(full)
            ?? (Path.GetDirectoryName(full) is { } folder && RealPath.Of(folder) is { } real ? Path.Combine(real, Path.GetFileName(full)) : full);
    }
}
