using System.Diagnostics;
using System.Globalization;
using MemGate.Ranges;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --ranges-plain [rounds] [libmmap-anchor|-] [Mixed|Insert]</c>: the address-space mixed workload and
/// the RangeMap inserts without BenchmarkDotNet, interleaved round by round with the libmmap anchor
/// (<c>bench/libmmap-anchor</c>, run as a child process) so both sides see the same background load.
/// Each figure is the minimum over the rounds (ns per operation); the checksums of both sides are
/// printed and must agree. A workload name runs only that one (for a profiler).
/// </summary>
public static class RangesQuickRun
{
    /// <summary>Runs the rounds and prints the table.</summary>
    public static int Run(int rounds, string? anchor, string? only = null)
    {
        var best = new Dictionary<string, double>();
        var checksums = new Dictionary<string, string>();
        void Keep(string key, double ns, string checksum)
        {
            best[key] = Math.Min(best.GetValueOrDefault(key, double.MaxValue), ns);
            checksums[key] = checksum;
        }
        bool mixed = only is null or "Mixed";
        bool insert = only is null or "Insert";
        for (int round = -1; round < rounds; round++) // round -1 warms up: code compiled
        {
            if (anchor is not null && round >= 0)
            {
                foreach (var (name, ns, checksum) in RunAnchor(anchor))
                {
                    Keep("libmmap " + name, ns, checksum);
                }
            }
            if (mixed)
            {
                long start = Stopwatch.GetTimestamp();
                var space = MixedWorkloadBenchmarks.RunMixed(out ulong checksum);
                Keep("MemGate Mixed", Stopwatch.GetElapsedTime(start).TotalNanoseconds / MixedWorkloadBenchmarks.Operations,
                    $"0x{checksum:X16} {space.MappingCount}");
            }
            if (insert)
            {
                long start = Stopwatch.GetTimestamp();
                var map = RangeMapBenchmarks.RunInserts(out ulong checksum, out _);
                Keep("MemGate Insert", Stopwatch.GetElapsedTime(start).TotalNanoseconds / RangeMapBenchmarks.Inserts,
                    $"0x{checksum:X16} {map.Count}");
            }
        }
        Console.WriteLine($"Interleaved: ns per operation, minimum of {rounds} rounds");
        int failures = 0;
        foreach (string workload in new[] { "Mixed", "Insert" })
        {
            if (!best.ContainsKey("MemGate " + workload))
            {
                continue;
            }
            double ours = best["MemGate " + workload];
            string line = $"{workload,-7} MemGate {ours,7:F1} ns = {1000 / ours:F2} M/s  checksum {checksums["MemGate " + workload]}";
            if (best.TryGetValue("libmmap " + workload, out double theirs))
            {
                bool same = checksums["libmmap " + workload] == checksums["MemGate " + workload];
                failures += same ? 0 : 1;
                line += $"  | libmmap {theirs,7:F1} ns = {1000 / theirs:F2} M/s  checksum {checksums["libmmap " + workload]}"
                    + $"  | MemGate {theirs / ours:F2}x libmmap's throughput{(same ? "" : "  CHECKSUMS DIFFER")}";
            }
            Console.WriteLine(line);
        }
        return failures;
    }

    // One round of the anchor: lines "name<TAB>ns<TAB>checksum<TAB>count".
    private static List<(string Name, double Ns, string Checksum)> RunAnchor(string anchor)
    {
        var info = new ProcessStartInfo(anchor, "1") { RedirectStandardOutput = true };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {anchor}");
        var result = new List<(string, double, string)>();
        string? text;
        while ((text = process.StandardOutput.ReadLine()) is not null)
        {
            string[] fields = text.Split('\t');
            result.Add((fields[0], double.Parse(fields[1], CultureInfo.InvariantCulture), $"{fields[2]} {fields[3]}"));
        }
        process.WaitForExit();
        return process.ExitCode == 0 ? result : throw new InvalidOperationException($"{anchor} exited with {process.ExitCode}");
    }
}
