namespace MemGate.Cli.Commands;

/// <summary>
/// Commands memgate prints for the user to run later (a crash's replay, going on from a snapshot): words quoted for a
/// shell, and memgate named so that the command works from any folder.
/// </summary>
internal static class ShellCommand
{
    /// <summary>
    /// This memgate: the full path of the <c>./memgate</c> script that started it (the script says so in MEMGATE_COMMAND),
    /// else of this executable when it is called memgate, else "memgate" (found on PATH).
    /// </summary>
    public static string Memgate { get; } = MemgateFrom(Environment.GetEnvironmentVariable("MEMGATE_COMMAND"), Environment.ProcessPath);

    /// <summary>As <see cref="Memgate"/>, from MEMGATE_COMMAND's value and this process's executable (internal for tests).</summary>
    internal static string MemgateFrom(string? script, string? processPath) =>
        script is not null && Path.IsPathFullyQualified(script) ? Word(Path.GetFullPath(script))
        : processPath is not null && Path.GetFileName(processPath) == "memgate" ? Word(processPath)
        : "memgate";

    /// <summary>The word as a shell reads it back: as it is when it holds nothing special, else in single quotes.</summary>
    public static string Word(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:=@%+,".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
