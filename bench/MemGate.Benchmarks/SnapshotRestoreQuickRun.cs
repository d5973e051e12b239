using System.Diagnostics;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --restore-plain [rounds]</c>: <see cref="SnapshotBenchmarks"/>' cases timed in a plain loop, the
/// same pages written before each restore (as a fuzzer's runs write the same stack), medians of many restores instead of
/// BenchmarkDotNet's single timed invocation per iteration (which its iteration set-up needs, and which adds tens of
/// microseconds of cold caches). Beside each: the kernel walk alone (the floor: nothing copied or protected) and the full
/// copy of the region (the baseline, five rounds), in the same run; each case with the written pages found by the
/// kernel's walk and listed by a write witness.
/// </summary>
public static class SnapshotRestoreQuickRun
{
    /// <summary>Runs every case and prints the table.</summary>
    public static void Run(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        Console.WriteLine($"| RAM | written | pages | found by | restore, median ({rounds} rounds) | 10th percentile | walk alone | full copy | ratio |");
        Console.WriteLine("|---|---|---|---|---:|---:|---:|---:|---:|");
        foreach (int size in (int[])[256, 2048])
        {
            foreach (string dirty in (string[])["16 pages", "1 %"])
            {
                foreach (var (huge, witness) in (ReadOnlySpan<(bool, bool)>)[(true, false), (true, true), (false, false)])
                {
                    var bench = new SnapshotBenchmarks { SizeMiB = size, Dirty = dirty, HugePages = huge, Witness = witness };
                    bench.Setup();
                    try
                    {
                        var restore = Time(rounds, bench.WritePages, () => bench.DirtyPagesOnly());
                        var walk = Time(rounds, bench.WritePages, () => bench.WalkOnly());
                        var copy = Time(5, bench.WritePages, bench.FullCopy);
                        Console.WriteLine($"| {size} MiB | {dirty} | {(huge ? "2 MiB" : "4 KiB")} | {(witness ? "witness" : "walk")} | {restore.Median:F1} µs | {restore.P10:F1} µs | {walk.Median:F1} µs | " +
                            $"{copy.Median / 1000:F1} ms | {restore.Median / copy.Median:G3}× |");
                    }
                    finally
                    {
                        bench.Cleanup();
                    }
                }
            }
        }
    }

    // Median and 10th percentile in µs of `timed`, each round after an untimed `before`; a tenth of the rounds first to warm up.
    private static (double Median, double P10) Time(int rounds, Action before, Action timed)
    {
        var times = new List<double>();
        for (int round = -rounds / 10; round < rounds; round++)
        {
            before();
            long at = Stopwatch.GetTimestamp();
            timed();
            if (round >= 0)
            {
                times.Add(Stopwatch.GetElapsedTime(at).TotalMicroseconds);
            }
        }
        times.Sort();
        return (times[times.Count / 2], times[times.Count / 10]);
    }
}
