using System.Diagnostics;

namespace MemGate.Tests.Fuzzing;

/// <summary>AFL++ drives MemGate through its fork-server protocol and finds the planted bug.</summary>
public sealed class AflTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-afl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task AflFuzzFindsThePlantedCrash()
    {
        string afl = Requires.Program("afl-fuzz");
        Requires.WriteTracking();
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli");
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.WriteAllText(Path.Combine(_dir, "in", "seed"), "FAAA");
        var info = new ProcessStartInfo(afl) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        // -D: AFL++'s deterministic stages (arithmetic on each byte) turn "FAAA" into "FUZ!" one byte at a time in a
        // second or so; its random stages alone took from seconds to more than the four minutes allowed.
        foreach (string argument in new[] { "-D", "-i", "in", "-o", "out", "-V", "240", "-t", "5000", "--", cli, "fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--afl" })
        {
            info.ArgumentList.Add(argument);
        }
        // A script-free target, no UI, no CPU pinning, no core-dump checks: what afl-fuzz needs in a test box; stop at the first crash.
        foreach (var (name, value) in new[] { ("AFL_SKIP_BIN_CHECK", "1"), ("AFL_NO_UI", "1"), ("AFL_NO_AFFINITY", "1"), ("AFL_SKIP_CPUFREQ", "1"),
            ("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1"), ("AFL_BENCH_UNTIL_CRASH", "1"), ("AFL_NO_AUTODICT", "1") })
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        string output = await process.StandardOutput.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        string log = output + await error;
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
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli");
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.WriteAllText(Path.Combine(_dir, "in", "plain"), "FAAA");
        File.WriteAllText(Path.Combine(_dir, "crash"), "FUZ!");
        string[] target = ["--", cli, "fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--afl"];
        async Task<int> Showmap(string? stdin, params string[] arguments)
        {
            var info = new ProcessStartInfo(showmap) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
            foreach (string argument in arguments.Concat(target))
            {
                info.ArgumentList.Add(argument);
            }
            info.Environment["AFL_SKIP_BIN_CHECK"] = "1";
            using var process = Process.Start(info)!;
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(File.ReadAllText(Path.Combine(_dir, stdin)));
            }
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            await process.StandardOutput.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            await error;
            return process.ExitCode;
        }
        Assert.Equal(0, await Showmap(null, "-i", "in", "-o", "maps"));
        Assert.Equal(0, await Showmap("in/plain", "-o", "plain.map"));
        string edges = File.ReadAllText(Path.Combine(_dir, "plain.map"));
        Assert.NotEmpty(edges);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "maps", "plain")), edges);
        Assert.Equal(2, await Showmap("crash", "-o", "crash.map"));   // afl-showmap's code for a target killed by a signal
    }
}
