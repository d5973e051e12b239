using System.Diagnostics;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --hotpath-plain [runs]</c>: the hot-path benchmarks without BenchmarkDotNet, in one
/// process, each figure the minimum of <c>runs</c> passes (ns per access) next to the raw loop of the same
/// run. For quick comparisons while changing the access path; the README figures come from ./bench.sh.
/// </summary>
public static class HotPathQuickRun
{
    /// <summary>Runs every working set, loop and access path once and prints a table.</summary>
    public static void Run(int runs)
    {
        var names = new (string Name, Func<GuestMemoryHotPathBenchmarks, uint> Body)[]
        {
            ("Raw", b => b.Raw()), ("RawOneTest", b => b.RawOneTest()),
            ("Checked32", b => b.Checked32()), ("Accessor32", b => b.Accessor32()),
            ("Checked64", b => b.Checked64()), ("Accessor64", b => b.Accessor64()),
        };
        Console.WriteLine($"min of {runs} passes, ns per access (ratio to Raw)");
        Console.WriteLine("set    loop   " + string.Concat(names.Select(n => $"{n.Name,18}")));
        foreach (var size in Enum.GetValues<GuestMemoryHotPathBenchmarks.Size>())
        {
            foreach (var mix in Enum.GetValues<GuestMemoryHotPathBenchmarks.Mix>())
            {
                var bench = new GuestMemoryHotPathBenchmarks { WorkingSet = size, Loop = mix };
                bench.Setup();
                try
                {
                    var line = $"{size,-6} {mix,-6}";
                    double raw = 0;
                    foreach (var (_, body) in names)
                    {
                        double best = double.MaxValue;
                        for (int r = 0; r < runs; r++)
                        {
                            long start = Stopwatch.GetTimestamp();
                            body(bench);
                            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalNanoseconds / GuestMemoryHotPathBenchmarks.OperationCount);
                        }
                        raw = raw == 0 ? best : raw;
                        line += $"{best,9:F2} ({best / raw,4:F2}x)";
                    }
                    Console.WriteLine(line);
                }
                finally
                {
                    bench.Cleanup();
                }
            }
        }
    }
}
