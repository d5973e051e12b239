using BenchmarkDotNet.Attributes;
using MemGate.Ranges;

namespace MemGate.Benchmarks;

/// <summary>
/// libmmap's workloads: 100,000 one-page map_any into [0x10000, +64 GiB) with the same protection
/// (everything coalesces into one entry) or alternating protections (100,000 entries), then unmap
/// each in order. Results are per operation; ops/s = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class AddressSpaceBenchmarks
{
    private const int Count = 100_000;
    private const ulong Page = 4096;
    private const int ProtRead = 1;
    private const int ProtReadWrite = 3;

    private AddressSpace _space = null!;
    private ulong[] _addresses = new ulong[Count];

    [Params(false, true)]
    public bool Alternating { get; set; }

    private static AddressSpace NewSpace() => new(0x10000, 64UL << 30, Page);

    private int Prot(int i) => Alternating && (i & 1) == 1 ? ProtReadWrite : ProtRead;

    [Benchmark(OperationsPerInvoke = Count)]
    public ulong MapAny()
    {
        var space = NewSpace();
        ulong last = 0;
        for (int i = 0; i < Count; i++)
        {
            last = space.MapAny(Page, MapInfo.Anonymous(Prot(i)));
        }
        return last;
    }

    [IterationSetup(Target = nameof(Unmap))]
    public void FillSpace()
    {
        _space = NewSpace();
        for (int i = 0; i < Count; i++)
        {
            _addresses[i] = _space.MapAny(Page, MapInfo.Anonymous(Prot(i)));
        }
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int Unmap()
    {
        for (int i = 0; i < Count; i++)
        {
            _space.Unmap(_addresses[i], Page);
        }
        return _space.MappingCount;
    }
}
