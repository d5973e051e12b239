using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MemGate.Benchmarks;

if (args.Length > 0 && args[0] == "--hotpath-plain")
{
    HotPathQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7, args.Length > 2 ? args[2] : null);
    return 0;
}

if (args.Length > 0 && args[0] == "--ranges-plain")
{
    return RangesQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5, args.Length > 2 && args[2] != "-" ? args[2] : null, args.Length > 3 ? args[3] : null);
}

if (args.Length > 0 && args[0] == "--start-plain")
{
    SnapshotStartQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 400);
    return 0;
}

if (args.Length > 0 && args[0] == "--restore-plain")
{
    SnapshotRestoreQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
    return 0;
}

if (args.Length > 0 && args[0] == "--machine-restore")
{
    MachineRestoreQuickRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
    return 0;
}

// ./bench.sh passes BenchmarkDotNet's own arguments (--filter, --job, --exporters, --artifacts).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(SplitMix64).Assembly).Run(args, DefaultConfig.Instance);
HotPathTable.Print(summaries, Environment.GetEnvironmentVariable("MEMGATE_VM_MEMORY_RESULTS"));
return 0;
