using MemGate.Cli;

namespace MemGate.Tests.Cli;

/// <summary>Runs the CLI in-process and captures its output, error stream and exit code.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
