using MemGate.Cli.Commands;

namespace MemGate.Tests.Cli;

public sealed class ShellCommandTests
{
    // Printed replays name memgate so that they run from any folder: the ./memgate script's full path (which it passes
    // on), else an executable called memgate, else the bare name (on PATH); words a shell would split or expand are quoted.
    [Theory]
    [InlineData("/home/you/memgate/./memgate", "/home/you/memgate/.build/cli/memgate", "/home/you/memgate/memgate")]
    [InlineData("/srv/my tools/memgate", null, "'/srv/my tools/memgate'")]
    [InlineData("relative/memgate", "/opt/memgate/memgate", "/opt/memgate/memgate")]
    [InlineData(null, "/usr/bin/dotnet", "memgate")]
    [InlineData(null, null, "memgate")]
    public void Memgate_is_named_by_a_path_that_works_from_any_folder(string? script, string? processPath, string expected) =>
        Assert.Equal(expected, ShellCommand.MemgateFrom(script, processPath));

    [Theory]
    [InlineData("plain/path-1.bin", "plain/path-1.bin")]
    [InlineData("it's here", "'it'\\''s here'")]
    [InlineData("", "''")]
    [InlineData("$HOME", "'$HOME'")]
    public void Words_are_quoted_only_when_a_shell_would_change_them(string word, string expected) =>
        Assert.Equal(expected, ShellCommand.Word(word));
}
