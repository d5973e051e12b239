using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MemGate.Benchmarks;

if (args.Length > 0 && args[0] == "--hotpath-plain")
{
    HotPathQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7, args.Length > 2 ? args[2] : null);
    return;
}

// ./bench.sh passes BenchmarkDotNet's own arguments (--filter, --job, --exporters, --artifacts).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(SplitMix64).Assembly).Run(args, DefaultConfig.Instance);
HotPathTable.Print(summaries, Environment.GetEnvironmentVariable("MEMGATE_VM_MEMORY_RESULTS"));
