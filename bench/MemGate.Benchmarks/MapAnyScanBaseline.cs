using BenchmarkDotNet.Attributes;
using MemGate.Ranges;

namespace MemGate.Benchmarks;

/// <summary>
/// The previous design beside the new one in the same run: libmmap's map_any, a first-fit scan over
/// the gaps (quadratic when nothing coalesces), against <see cref="AddressSpace.MapAny"/>'s indexed
/// gaps. 10,000 non-coalescing mappings, so the scan finishes in reasonable time.
/// </summary>
public class MapAnyScanBaseline
{
    private const int Count = 10_000;
    private const ulong Page = 4096;
    private const ulong Start = 0x10000;
    private const ulong Length = 64UL << 30;

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public ulong FirstFitScan()
    {
        // libmmap's algorithm: walk get_gaps(base, base + len) and take the first that fits.
        var map = new RangeMap<int>();
        ulong last = 0;
        for (int i = 0; i < Count; i++)
        {
            foreach (var (gapStart, gapEnd) in map.GetGaps(Start / Page, (Start + Length) / Page))
            {
                if (gapEnd - gapStart >= 1)
                {
                    map.Insert(gapStart, gapStart + 1, i & 1);
                    last = gapStart;
                    break;
                }
            }
        }
        return last;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public ulong IndexedGaps()
    {
        var space = new AddressSpace(Start, Length, Page);
        ulong last = 0;
        for (int i = 0; i < Count; i++)
        {
            last = space.MapAny(Page, MapInfo.Anonymous(1 + 2 * (i & 1)));
        }
        return last;
    }
}
