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

    // `> log 2>&1`, as CI scripts write: output, error and what the shell writes around them share the file's position,
    // nothing overwrites anything (a FileStream on the descriptor wrote at a position of its own and lost the UART text).
    [Fact]
    public void Output_and_error_to_one_file_keep_everything_in_order()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        string log = Path.Combine(Path.GetTempPath(), $"memgate-log-{Guid.NewGuid():N}");
        try
        {
            using var shell = Process.Start(new ProcessStartInfo("/bin/sh",
                ["-c", $"{{ echo before; dotnet '{cli}' run '{hello}' --device STM32F103 </dev/null; echo after; }} > '{log}' 2>&1"]))!;
            Assert.True(shell.WaitForExit(60_000));
            string[] lines = File.ReadAllLines(log);
            Assert.Equal("before", lines[0]);
            Assert.Equal("Hello from STM32F103!", lines[1]);
            Assert.StartsWith("memgate run: STM32F103 (cortex-m3), exit with code 0", lines[2], StringComparison.Ordinal);
            Assert.Equal("after", lines[3]);
            Assert.Equal(4, lines.Length);
        }
        finally
        {
            File.Delete(log);
        }
    }
}
