using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MemGate.Benchmarks.Baselines;
using MemGate.Ranges;

namespace MemGate.Benchmarks;

/// <summary>
/// RangeMap: seed 0xD00D, 1,000,000 random inserts (start below 2^32, 1–65,536 long, one of four
/// values), then 10,000,000 finds at random keys. The baseline is the previous design, an
/// augmented treap (<see cref="TreapRangeMap{TValue}"/>), run on the same data.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory), CategoriesColumn]
public class RangeMapBenchmarks
{
    /// <summary>Inserts of one insert run.</summary>
    public const int Inserts = 1_000_000;
    private const int Finds = 10_000_000;
    private const ulong KeySpace = 1UL << 32;

    private (ulong Start, ulong End, int Value)[] _inserts = null!;
    private ulong[] _keys = null!;
    private RangeMap<int> _filled = null!;
    private TreapRangeMap<int> _filledTreap = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new SplitMix64(0xD00D);
        _inserts = new (ulong, ulong, int)[Inserts];
        for (int i = 0; i < Inserts; i++)
        {
            ulong start = random.Below(KeySpace);
            _inserts[i] = (start, start + 1 + random.Below(65_536), (int)random.Below(4));
        }
        _keys = new ulong[Finds];
        for (int i = 0; i < Finds; i++)
        {
            _keys[i] = random.Below(KeySpace);
        }
        _filled = Insert();
        _filledTreap = TreapInsert();
        Console.WriteLine($"// range map after inserts: {_filled.Count} entries, checksum 0x{Checksum(_filled):X16}");
    }

    [Benchmark(OperationsPerInvoke = Inserts, Baseline = true), BenchmarkCategory("Insert")]
    public TreapRangeMap<int> TreapInsert()
    {
        var map = new TreapRangeMap<int>();
        foreach (var (start, end, value) in _inserts)
        {
            map.Insert(start, end, value);
        }
        return map;
    }

    [Benchmark(OperationsPerInvoke = Inserts), BenchmarkCategory("Insert")]
    public RangeMap<int> Insert()
    {
        var map = new RangeMap<int>();
        foreach (var (start, end, value) in _inserts)
        {
            map.Insert(start, end, value);
        }
        return map;
    }

    /// <summary>
    /// The insert workload on its own (for the interleaved run beside libmmap): the final map and an
    /// FNV-1a fold of its entries, the same fold the libmmap anchor prints.
    /// </summary>
    public static RangeMap<int> RunInserts(out ulong checksum, out int count)
    {
        var random = new SplitMix64(0xD00D);
        var map = new RangeMap<int>();
        for (int i = 0; i < Inserts; i++)
        {
            ulong start = random.Below(KeySpace);
            ulong end = start + 1 + random.Below(65_536);
            map.Insert(start, end, (int)random.Below(4));
        }
        checksum = Checksum(map);
        count = map.Count;
        return map;
    }

    private static ulong Checksum(RangeMap<int> map)
    {
        ulong checksum = 0xCBF29CE484222325;
        foreach (var entry in map)
        {
            checksum = (checksum ^ entry.Start) * 0x100000001B3;
            checksum = (checksum ^ entry.End) * 0x100000001B3;
            checksum = (checksum ^ (ulong)entry.Value) * 0x100000001B3;
        }
        return checksum;
    }

    [Benchmark(OperationsPerInvoke = Finds, Baseline = true), BenchmarkCategory("Find")]
    public int TreapFind()
    {
        int found = 0;
        var map = _filledTreap;
        foreach (ulong key in _keys)
        {
            if (map.TryFind(key, out _))
            {
                found++;
            }
        }
        return found;
    }

    [Benchmark(OperationsPerInvoke = Finds), BenchmarkCategory("Find")]
    public int Find()
    {
        int found = 0;
        var map = _filled;
        foreach (ulong key in _keys)
        {
            if (map.TryFind(key, out _))
            {
                found++;
            }
        }
        return found;
    }
}
