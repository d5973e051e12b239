using System.Diagnostics;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --hotpath-plain [rounds] [anchor.tsv]</c>: the hot-path benchmarks without
/// BenchmarkDotNet, in one process. For each working set and loop, every access path runs once per round,
/// one after the other, so that all of them see the same background load; each figure is the minimum over
/// the rounds (ns per access), printed next to the raw loop of the same rounds and the vm-memory anchor.
/// On a shared machine this is steadier than runs that measure one path for seconds before the next.
/// </summary>
public static class HotPathQuickRun
{
    /// <summary>Runs every working set, loop and access path and prints the table.</summary>
    public static void Run(int rounds, string? anchorFile)
    {
        var paths = new (string Name, Func<GuestMemoryHotPathBenchmarks, uint> Body)[]
        {
            ("Raw", b => b.Raw()), ("RawOneTest", b => b.RawOneTest()),
            ("Checked32", b => b.Checked32()), ("Accessor32", b => b.Accessor32()),
            ("Checked64", b => b.Checked64()), ("Accessor64", b => b.Accessor64()),
        };
        var figures = new Dictionary<(string Set, string Loop, string Path), double>();
        foreach (var size in Enum.GetValues<GuestMemoryHotPathBenchmarks.Size>())
        {
            foreach (var mix in Enum.GetValues<GuestMemoryHotPathBenchmarks.Mix>())
            {
                var bench = new GuestMemoryHotPathBenchmarks { WorkingSet = size, Loop = mix };
                bench.Setup();
                try
                {
                    foreach (var (_, body) in paths)
                    {
                        body(bench); // warm-up: code compiled, caches and TLB filled for this path
                    }
                    for (int round = 0; round < rounds; round++)
                    {
                        foreach (var (name, body) in paths)
                        {
                            long start = Stopwatch.GetTimestamp();
                            body(bench);
                            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / GuestMemoryHotPathBenchmarks.OperationCount;
                            var key = (size.ToString(), mix.ToString(), name);
                            figures[key] = Math.Min(figures.GetValueOrDefault(key, double.MaxValue), ns);
                        }
                    }
                }
                finally
                {
                    bench.Cleanup();
                }
            }
        }
        HotPathTable.Print(figures, anchorFile, $"Interleaved: ns per 4-byte access, minimum of {rounds} rounds (ratio to the same rounds' raw loop)");
    }
}
