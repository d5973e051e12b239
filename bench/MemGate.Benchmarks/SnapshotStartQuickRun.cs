using System.Diagnostics;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --start-plain [rounds]</c>: a start from a snapshot file timed alone, without its
/// tear-down, which <see cref="SnapshotFileBenchmarks"/> (BenchmarkDotNet, a using per invocation) includes.
/// The CortexA53 virt machine of that benchmark (2 GiB of RAM) is started from its file and, in the same
/// rounds, built and loaded from reset (the baseline); each machine is disposed untimed before the next
/// start, and the tear-down is timed apart. Prints the median and the 10th percentile of each. (The command-line
/// tool is compiled ahead of time, so a fresh process starts with optimized code; this measures that state.)
/// </summary>
public static class SnapshotStartQuickRun
{
    /// <summary>Runs the rounds and prints the table.</summary>
    public static void Run(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var bench = new SnapshotFileBenchmarks();
        bench.Setup();
        try
        {
            var image = FirmwareReader.Load(Path.Combine(FirmwareRunBenchmarks.FindRoot(), "examples", "firmware", "a53-virt", "hello.elf"));
            var device = DeviceTemplates.Load("CortexA53");
            var times = new Dictionary<string, List<double>> { ["start from file"] = [], ["tear-down"] = [], ["create and load (baseline)"] = [] };
            // Ten seconds of rounds first, untimed: a start calls into thousands of methods, which the runtime compiles
            // optimized only after they ran a while (tiered compilation, with a profiling tier between); fewer rounds
            // left a quarter of the time in the compiler and the median 2.4 times as high.
            var warmUp = Stopwatch.StartNew();
            int warmUpRounds = 0;
            for (; warmUp.Elapsed < TimeSpan.FromSeconds(10); warmUpRounds++)
            {
                Round();
            }
            for (int round = 0; round < rounds; round++)
            {
                var (started, disposed, baseline) = Round();
                times["start from file"].Add(started.TotalMilliseconds);
                times["tear-down"].Add(disposed.TotalMilliseconds);
                times["create and load (baseline)"].Add(baseline.TotalMilliseconds);
            }
            Console.WriteLine($"| CortexA53 virt (2 GiB RAM), {rounds} rounds after {warmUpRounds} to warm up | median | 10th percentile |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (name, list) in times)
            {
                list.Sort();
                Console.WriteLine($"| {name} | {list[list.Count / 2]:F3} ms | {list[list.Count / 10]:F3} ms |");
            }

            // A start from the file, its tear-down, and the baseline built and loaded (its tear-down untimed).
            (TimeSpan Started, TimeSpan Disposed, TimeSpan Baseline) Round()
            {
                long at = Stopwatch.GetTimestamp();
                var machine = FirmwareMachine.FromSnapshotFile(bench.File, TextWriter.Null);
                var started = Stopwatch.GetElapsedTime(at);
                at = Stopwatch.GetTimestamp();
                machine.Dispose();
                var disposed = Stopwatch.GetElapsedTime(at);
                at = Stopwatch.GetTimestamp();
                using var built = FirmwareMachine.Create(device, TextWriter.Null);
                built.Load(image);
                return (started, disposed, Stopwatch.GetElapsedTime(at));
            }
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
