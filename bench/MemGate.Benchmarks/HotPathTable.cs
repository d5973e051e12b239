using System.Globalization;
using BenchmarkDotNet.Reports;

namespace MemGate.Benchmarks;

/// <summary>
/// Prints <see cref="GuestMemoryHotPathBenchmarks"/>' figures (minimum per operation over the measured
/// iterations) side by side with the raw loop of the same run and with the vm-memory anchor's figures
/// (a TSV written by bench/vm-memory-anchor, whose own raw loop is its same-run baseline).
/// </summary>
public static class HotPathTable
{
    private static readonly string[] Paths = ["Raw", "RawOneTest", "Checked32", "Accessor32", "Checked64", "Accessor64"];

    /// <summary>Prints the table when the summaries hold the hot-path benchmarks; else nothing.</summary>
    public static void Print(IEnumerable<Summary> summaries, string? anchorFile)
    {
        var figures = new Dictionary<(string Set, string Loop, string Path), double>();
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                var benchmark = report.BenchmarkCase;
                if (benchmark.Descriptor.Type != typeof(GuestMemoryHotPathBenchmarks) || report.ResultStatistics is null)
                {
                    continue;
                }
                string set = benchmark.Parameters["WorkingSet"].ToString()!;
                string loop = benchmark.Parameters["Loop"].ToString()!;
                figures[(set, loop, benchmark.Descriptor.WorkloadMethod.Name)] = report.ResultStatistics.Min;
            }
        }
        Print(figures, anchorFile, "BenchmarkDotNet: ns per 4-byte access, minimum over the iterations (ratio to the same run's raw loop)");
    }

    /// <summary>Prints figures keyed by (working set, loop, benchmark method name), ns per access.</summary>
    public static void Print(Dictionary<(string Set, string Loop, string Path), double> figures, string? anchorFile, string title)
    {
        if (figures.Count == 0)
        {
            return;
        }

        var anchor = new Dictionary<(string Set, string Loop, string Path), double>();
        if (anchorFile is not null && File.Exists(anchorFile))
        {
            foreach (var line in File.ReadLines(anchorFile))
            {
                var f = line.Split('\t');
                if (f.Length == 4)
                {
                    anchor[(f[0], f[1], f[2])] = double.Parse(f[3], CultureInfo.InvariantCulture);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("Guest memory hot path. " + title);
        Console.WriteLine("| set | loop | " + string.Join(" | ", Paths) + (anchor.Count > 0 ? " | Rust raw | Rust raw+1 test | vm-memory |" : " |"));
        Console.WriteLine("|---|---|" + string.Concat(Enumerable.Repeat("---|", Paths.Length + (anchor.Count > 0 ? 3 : 0))));
        foreach (var set in new[] { "Dram", "Cache" })
        {
            foreach (var loop in new[] { "Read", "Write", "Mixed" })
            {
                if (!figures.TryGetValue((set, loop, "Raw"), out double raw))
                {
                    continue;
                }
                var cells = Paths.Select(p => figures.TryGetValue((set, loop, p), out double v) ? Cell(v, raw) : "—");
                string line = $"| {set} | {loop} | " + string.Join(" | ", cells) + " |";
                if (anchor.TryGetValue((set, loop, "raw"), out double rustRaw))
                {
                    line += " " + string.Join(" | ", new[] { "raw", "one-test", "vm-memory" }
                        .Select(p => anchor.TryGetValue((set, loop, p), out double v) ? Cell(v, rustRaw) : "—")) + " |";
                }
                Console.WriteLine(line);
            }
        }
        if (anchor.Count == 0)
        {
            Console.WriteLine("(no vm-memory anchor figures: see bench.sh's message above)");
        }
    }

    private static string Cell(double value, double baseline) =>
        string.Create(CultureInfo.InvariantCulture, $"{value:F2} ({value / baseline:F2}x)");
}
