using System.Diagnostics;

namespace MemGate.Tests.Cli;

public sealed class TerminalOutputTests
{
    // On a terminal (script(1) gives the CLI one), commands print what they print and nothing else: .NET's console used to
    // put the terminal into application keypad mode (ESC [?1h ESC =) first and leave it there.
    [SkippableTheory]
    [InlineData("--version")]
    [InlineData("list")]
    [InlineData("show STM32F103")]
    public void On_a_terminal_nothing_but_the_output_is_written(string arguments)
    {
        string? script = new[] { "/usr/bin/script", "/bin/script" }.FirstOrDefault(File.Exists);
        Skip.If(script is null, "script(1) (util-linux) is not installed");
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        using var process = Process.Start(new ProcessStartInfo(script, ["-qec", $"dotnet {cli} {arguments}", "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        })!;
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal(0, process.ExitCode);
        Assert.NotEmpty(output.Trim());
        Assert.DoesNotContain("\u001b[?1h", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b=", output, StringComparison.Ordinal);
    }
}
