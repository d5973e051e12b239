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

    /// <summary>As <see cref="Run"/>, failing the test if the CLI has not finished within 20 s: a regression must fail, not hang the suite.</summary>
    public static (int Exit, string Out, string Err) RunBounded(params string[] args) => RunBounded(TimeSpan.FromSeconds(20), args);

    /// <summary>As <see cref="Run"/>, failing the test if the CLI has not finished within <paramref name="limit"/>.</summary>
    public static (int Exit, string Out, string Err) RunBounded(TimeSpan limit, params string[] args)
    {
        var run = Task.Run(() => Run(args));
        Assert.True(run.Wait(limit), $"memgate {string.Join(' ', args)} did not finish in {limit.TotalSeconds:0} s");
        return run.Result;
    }
}
