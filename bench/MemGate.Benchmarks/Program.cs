using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// ./bench.sh passes BenchmarkDotNet's own arguments (--filter, --job, --exporters, --artifacts).
BenchmarkSwitcher.FromAssembly(typeof(MemGate.Benchmarks.SplitMix64).Assembly)
    .Run(args, DefaultConfig.Instance);
