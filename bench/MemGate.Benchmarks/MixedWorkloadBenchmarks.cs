using BenchmarkDotNet.Attributes;
using MemGate.Ranges;

namespace MemGate.Benchmarks;

/// <summary>
/// libmmap's mixed workload: seed 0xB0B, 1,000,000 operations in a 1 GiB window — 50 % map_at of
/// 1–16 pages with one of three protections, 30 % unmap, 20 % protect — and 10,000,000 query_page
/// at random addresses (seed 0xC0FFEE) on the final state.
/// </summary>
public class MixedWorkloadBenchmarks
{
    /// <summary>Operations of one mixed run.</summary>
    public const int Operations = 1_000_000;
    private const int Queries = 10_000_000;
    private const ulong Page = 4096;
    private const ulong Base = 0x10000;
    private const ulong Window = 1UL << 30;
    private static readonly int[] Prots = [1, 3, 5];

    private AddressSpace _final = null!;
    private ulong[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        _final = RunMixed(out ulong checksum);
        Console.WriteLine($"// mixed workload: {_final.MappingCount} mappings, checksum 0x{checksum:X16}");
        var random = new SplitMix64(0xC0FFEE);
        _queries = new ulong[Queries];
        for (int i = 0; i < Queries; i++)
        {
            _queries[i] = Base + random.Below(Window);
        }
    }

    /// <summary>Runs the mixed workload and folds the final mappings into a checksum.</summary>
    public static AddressSpace RunMixed(out ulong checksum)
    {
        var space = new AddressSpace(Base, Window, Page);
        var random = new SplitMix64(0xB0B);
        ulong pagesInWindow = Window / Page;
        for (int i = 0; i < Operations; i++)
        {
            ulong kind = random.Below(100);
            ulong pages = 1 + random.Below(16);
            ulong page = random.Below(pagesInWindow - pages + 1);
            ulong address = Base + page * Page;
            if (kind < 50)
            {
                space.MapAt(address, pages * Page, MapInfo.Anonymous(Prots[random.Below(3)]));
            }
            else if (kind < 80)
            {
                space.Unmap(address, pages * Page);
            }
            else
            {
                space.Protect(address, pages * Page, Prots[random.Below(3)]);
            }
        }
        checksum = 0xCBF29CE484222325;
        foreach (var entry in space.Mappings)
        {
            checksum = (checksum ^ entry.Start) * 0x100000001B3;
            checksum = (checksum ^ entry.End) * 0x100000001B3;
            checksum = (checksum ^ (ulong)entry.Value.Protection) * 0x100000001B3;
        }
        return space;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int Mixed() => RunMixed(out _).MappingCount;

    [Benchmark(OperationsPerInvoke = Queries)]
    public int QueryPage()
    {
        int hits = 0;
        var space = _final;
        foreach (ulong address in _queries)
        {
            if (space.QueryPage(address, out _))
            {
                hits++;
            }
        }
        return hits;
    }
}
