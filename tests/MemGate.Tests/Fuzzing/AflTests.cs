using System.Diagnostics;

namespace MemGate.Tests.Fuzzing;

/// <summary>AFL++ drives MemGate through its fork-server protocol and finds the planted bug.</summary>
public sealed class AflTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-afl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // memgate as AFL's target, on the planted bug.
    private static readonly string[] Target = ["--", Path.Combine(AppContext.BaseDirectory, "MemGate.Cli"), "fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--afl"];

    // Runs an AFL++ tool in the test folder on Target with these arguments and environment (stdin: a file there, or
    // nothing); returns its exit code and its output.
    private async Task<(int ExitCode, string Log)> RunAfl(string tool, string[] arguments, (string Name, string Value)[] environment, TimeSpan limit, string? stdin = null)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        foreach (string argument in arguments.Concat(Target))
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        using var cancel = new CancellationTokenSource(limit);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(File.ReadAllText(Path.Combine(_dir, stdin)));
        }
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync(cancel.Token);
        string output = await process.StandardOutput.ReadToEndAsync(cancel.Token);
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, output + await error);
    }

    [SkippableFact]
    public async Task AflFuzzFindsThePlantedCrash()
    {
        string afl = Requires.Program("afl-fuzz");
        Requires.WriteTracking();
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.WriteAllText(Path.Combine(_dir, "in", "seed"), "FAAA");
        // -D: AFL++'s deterministic stages (arithmetic on each byte) turn "FAAA" into "FUZ!" one byte at a time in a
        // second or so; its random stages alone took from seconds to more than the four minutes allowed.
        // A script-free target, no UI, no CPU pinning, no core-dump checks: what afl-fuzz needs in a test box; stop at the first crash.
        var (_, log) = await RunAfl(afl, ["-D", "-i", "in", "-o", "out", "-V", "240", "-t", "5000"],
            [("AFL_SKIP_BIN_CHECK", "1"), ("AFL_NO_UI", "1"), ("AFL_NO_AFFINITY", "1"), ("AFL_SKIP_CPUFREQ", "1"),
             ("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1"), ("AFL_BENCH_UNTIL_CRASH", "1"), ("AFL_NO_AUTODICT", "1")], TimeSpan.FromMinutes(5));
        string crashes = Path.Combine(_dir, "out", "default", "crashes");
        var found = Directory.Exists(crashes) ? Directory.GetFiles(crashes).Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal)).ToList() : [];
        Assert.True(found.Count > 0, $"afl-fuzz found no crash:\n{log[Math.Max(0, log.Length - 3000)..]}");
        Assert.StartsWith("FUZ!", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(found[0])));
        Assert.Contains("sig:11", Path.GetFileName(found[0]));
    }

    // afl-showmap on one input runs the target without the fork server (input on stdin, the map named by __AFL_SHM_ID):
    // the edges are those of the same input through the fork server (-i), and a crash is a death by SIGSEGV (exit 2).
    [SkippableFact]
    public async Task AflShowmapOnOneInputGivesTheForkServersMapAndSeesTheCrash()
    {
        string showmap = Requires.Program("afl-showmap");
        Requires.WriteTracking();
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.WriteAllText(Path.Combine(_dir, "in", "plain"), "FAAA");
        File.WriteAllText(Path.Combine(_dir, "crash"), "FUZ!");
        async Task<int> Showmap(string? stdin, params string[] arguments) =>
            (await RunAfl(showmap, arguments, [("AFL_SKIP_BIN_CHECK", "1")], TimeSpan.FromMinutes(2), stdin)).ExitCode;
        Assert.Equal(0, await Showmap(null, "-i", "in", "-o", "maps"));
        Assert.Equal(0, await Showmap("in/plain", "-o", "plain.map"));
        string edges = File.ReadAllText(Path.Combine(_dir, "plain.map"));
        Assert.NotEmpty(edges);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "maps", "plain")), edges);
        Assert.Equal(2, await Showmap("crash", "-o", "crash.map"));   // afl-showmap's code for a target killed by a signal
    }
}
