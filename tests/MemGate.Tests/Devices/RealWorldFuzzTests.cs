using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MemGate.Devices.Config;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Devices;

/// <summary>
/// The Fuzzware example targets whose base inputs (or, without any, the first generated input) do not reach main
/// and run until they are exhausted under Fuzzware's rules get there by fuzzing, as under Fuzzware: `memgate fuzz`
/// seeded with them, 5,000 runs from a fixed random start (bench/realworld.sh's campaign), finds an input that
/// reaches main and runs until it is exhausted. Skipped when ../shared/realworld is not beside the repository.
/// </summary>
public sealed class RealWorldFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-realworld-fuzz").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The targets that stop short of that with their seeds alone (the README's table says why).</summary>
    public static TheoryData<string> Targets => new(
        "P2IM/CNC", "P2IM/Console", "P2IM/Gateway", "P2IM/PLC", "pw-recovery/MOTE_L152RC", "pw-recovery/NUCLEO_F103RB",
        "pw-recovery/NUCLEO_F207ZG", "pw-recovery/NUCLEO_L152RE");

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public void Fuzzing_from_the_seeds_finds_an_input_that_reaches_main_and_runs_until_it_is_exhausted(string target)
    {
        string folder = Requires.RealWorld("fuzzware-examples", target);
        string device = Path.Combine(_dir, "device.toml");
        var (importExit, _, importError) = CliRunner.Run("import", "fuzzware", Path.Combine(folder, "config.yml"), "-o", device);
        Assert.True(importExit == 0, importError);
        ulong main = DeviceConfigReader.Load(device).Symbols.Single(s => s.Name == "main").Address & ~1UL;

        string corpus = Directory.CreateDirectory(Path.Combine(_dir, "corpus")).FullName;
        string seeds = Path.Combine(folder, "base_inputs");
        if (Directory.Exists(seeds))
        {
            foreach (string seed in Directory.GetFiles(seeds))
            {
                File.Copy(seed, Path.Combine(corpus, Path.GetFileName(seed)));
            }
        }
        else
        {
            // bench/realworld.sh's generated input #0: SHA-256 of "memgate-0-I" for I = 0..127.
            File.WriteAllBytes(Path.Combine(corpus, "generated-0"),
                [.. Enumerable.Range(0, 128).SelectMany(i => SHA256.HashData(Encoding.ASCII.GetBytes($"memgate-0-{i}")))]);
        }
        var (fuzzExit, _, fuzzError) = CliRunner.Run("fuzz", "--device", device, "--corpus", corpus, "--crashes", Path.Combine(_dir, "crashes"),
            "--runs", "5000", "--random", "1", "--max-instructions", "20000000");
        Assert.True(fuzzExit is 0 or 120, fuzzError);   // 120: crashes found too

        string coverage = Path.Combine(_dir, "coverage.txt");
        var tried = new List<string>();
        foreach (string input in Directory.GetFiles(corpus).Order(StringComparer.Ordinal))
        {
            File.Delete(coverage);   // a run that writes none must not read the last one's
            var (exit, _, error) = CliRunner.Run("run", "--device", device, "--mmio-input", input, "--coverage", coverage, "--json",
                "--max-instructions", "20000000", "--timeout", "60");
            bool reachedMain = File.Exists(coverage) && File.ReadAllLines(coverage).Any(line => ulong.Parse(line.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) == main);
            if (reachedMain && exit == 122 && error.Contains("\"outcome\":\"input-exhausted\"", StringComparison.Ordinal))
            {
                return;
            }
            tried.Add($"{Path.GetFileName(input)}: exit {exit}, main {(reachedMain ? "reached" : "not reached")}");
        }
        Assert.Fail($"{target}: no input of the corpus reaches main and runs until it is exhausted:\n{string.Join('\n', tried)}");
    }
}
