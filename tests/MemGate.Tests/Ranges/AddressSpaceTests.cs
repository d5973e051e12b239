using CsCheck;
using MemGate.Ranges;

namespace MemGate.Tests.Ranges;

public class AddressSpaceTests
{
    private const ulong Page = 4096;

    [Fact]
    public void Readme_example_maps_and_unmaps_with_a_callback()
    {
        var space = new AddressSpace(0x10000, 0x100000, Page);
        ulong p = space.MapAny(4096, MapInfo.Anonymous(1));
        Assert.Equal(0x10000UL, p);
        var calls = new List<(ulong, ulong, MapInfo)>();
        space.Unmap(p, 4096, (a, l, info) => calls.Add((a, l, info)));
        Assert.Equal([(0x10000UL, 4096UL, MapInfo.Anonymous(1))], calls);
        Assert.False(space.QueryPage(p, out _));
    }

    [Fact]
    public void Map_any_takes_the_lowest_gap_that_fits()
    {
        var space = new AddressSpace(0, 16 * Page, Page);
        space.MapAt(2 * Page, Page, MapInfo.Anonymous(1));
        space.MapAt(5 * Page, Page, MapInfo.Anonymous(1));
        Assert.Equal(0UL, space.MapAny(2 * Page, MapInfo.Anonymous(3)));
        Assert.Equal(6 * Page, space.MapAny(3 * Page, MapInfo.Anonymous(3)));
        Assert.Equal(3 * Page, space.MapAny(1, MapInfo.Anonymous(3)));       // length rounds up to a page
        Assert.Equal(12 * Page, space.MapAny(Page, MapInfo.Anonymous(3), hint: 12 * Page));
        Assert.Throws<OutOfAddressSpaceException>(() => space.MapAny(16 * Page, MapInfo.Anonymous(1)));
    }

    [Fact]
    public void Map_at_reports_each_overwritten_piece()
    {
        var space = new AddressSpace(0, 16 * Page, Page);
        space.MapAt(0, 4 * Page, MapInfo.Anonymous(1));
        space.MapAt(6 * Page, 4 * Page, MapInfo.Anonymous(3));
        var pieces = new List<(ulong, ulong, int)>();
        space.MapAt(2 * Page, 6 * Page, MapInfo.Anonymous(5), (a, l, i) => pieces.Add((a, l, i.Protection)));
        Assert.Equal([(2 * Page, 2 * Page, 1), (6 * Page, 2 * Page, 3)], pieces);
        Assert.True(space.QueryPage(7 * Page + 12, out var info));
        Assert.Equal(5, info.Protection);
    }

    [Fact]
    public void Protect_changes_only_mapped_pages_and_recoalesces()
    {
        var space = new AddressSpace(0, 16 * Page, Page);
        space.MapAt(0, 2 * Page, MapInfo.Anonymous(1));
        space.MapAt(4 * Page, 2 * Page, MapInfo.Anonymous(1));
        space.Protect(Page, 4 * Page, 3);
        Assert.Equal(4, space.MappingCount);   // [0,1) r, [1,2) rw, [4,5) rw, [5,6) r
        Assert.False(space.QueryPage(2 * Page, out _));
        space.Protect(0, 6 * Page, 1);
        Assert.Equal(2, space.MappingCount);
    }

    [Fact]
    public void File_offsets_follow_splits_and_pieces_coalesce_again()
    {
        var space = new AddressSpace(0, 16 * Page, Page);
        space.MapAt(0, 8 * Page, new MapInfo(1, Fd: 7, Offset: 0x10000));
        space.Protect(2 * Page, 2 * Page, 3);
        Assert.True(space.QueryPage(5 * Page, out var info));
        Assert.Equal(0x10000 + 5 * (long)Page, info.Offset);
        Assert.Equal(3, space.MappingCount);
        space.Protect(2 * Page, 2 * Page, 1);
        Assert.Equal(1, space.MappingCount);
    }

    [Fact]
    public void Original_mappings_survive_unmap_non_original()
    {
        var space = new AddressSpace(0x10000, 64 * Page, Page);
        ulong text = space.MapAny(4 * Page, MapInfo.Anonymous(5));
        space.MarkOriginal();
        ulong heap = space.MapAny(8 * Page, MapInfo.Anonymous(3));
        ulong more = space.MapAny(Page, MapInfo.Anonymous(5));
        var unmapped = new List<ulong>();
        space.UnmapNonOriginal((a, l, i) => unmapped.Add(a));
        Assert.Equal([heap, more], unmapped);
        Assert.True(space.QueryPage(text, out var info) && info.Original);
        Assert.Equal(1, space.MappingCount);
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_clear_messages()
    {
        var space = new AddressSpace(0x10000, 16 * Page, Page);
        Assert.Contains("not aligned", Assert.Throws<ArgumentException>(() => space.Unmap(0x10001, Page)).Message);
        Assert.Contains("zero-length", Assert.Throws<ArgumentException>(() => space.Protect(0x10000, 0, 1)).Message);
        Assert.Contains("outside the address space", Assert.Throws<ArgumentOutOfRangeException>(() => space.MapAt(0x10000 + 15 * Page, 2 * Page, MapInfo.Anonymous(1))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => space.MapAt(0, Page, MapInfo.Anonymous(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => space.Unmap(0x10000, ulong.MaxValue));
        Assert.Throws<ArgumentException>(() => space.MapAny(0, MapInfo.Anonymous(1)));
        Assert.Throws<ArgumentException>(() => new AddressSpace(0, Page, 3000));
        Assert.Throws<ArgumentException>(() => new AddressSpace(1, Page, Page));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddressSpace(ulong.MaxValue & ~(Page - 1), 2 * Page, Page));
        Assert.Equal(0, space.MappingCount);
    }

    [Fact]
    public void The_last_page_below_two_to_the_64_is_usable()
    {
        ulong start = (ulong.MaxValue & ~(Page - 1)) - 4 * Page;
        var space = new AddressSpace(start, 4 * Page, Page);
        Assert.Equal(start, space.MapAny(4 * Page, MapInfo.Anonymous(1)));
        Assert.True(space.QueryPage(start + 4 * Page - 1, out _));
        Assert.False(space.QueryPage(ulong.MaxValue, out _));
        var lengths = new List<ulong>();
        space.Unmap(start + 3 * Page, Page, (a, l, i) => lengths.Add(l));
        Assert.Equal([Page], lengths);
        Assert.Equal(start + 3 * Page, space.MapAny(1, MapInfo.Anonymous(1)));
    }

    // ---- model-based property ----

    private const int Pages = 40;

    private static readonly Gen<(int Op, int Page, int Count, int Prot)> OpGen =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, Pages + 3], Gen.Int[0, 12], Gen.Int[1, 3]);

    [Fact]
    public void Behaves_like_a_per_page_model()
    {
        Gen.Select(Gen.Bool, OpGen.Array[1, 100]).Sample(t =>
        {
            var (high, ops) = t;
            ulong origin = high ? (ulong.MaxValue & ~(Page - 1)) - Pages * Page : 0x10000;
            var space = new AddressSpace(origin, Pages * Page, Page);
            var model = new MapInfo?[Pages];
            foreach (var (op, page, count, prot) in ops)
            {
                ulong address = origin + (ulong)page * Page;
                ulong length = (ulong)count * Page;
                bool inside = count > 0 && page + count <= Pages;
                var calls = new List<(ulong, ulong, MapInfo)>();
                MapUpdateCallback record = (a, l, i) => calls.Add((a, l, i));
                switch (op)
                {
                    case 0:
                    {
                        if (count == 0)
                        {
                            Assert.Throws<ArgumentException>(() => space.MapAny(0, MapInfo.Anonymous(prot)));
                            break;
                        }
                        int at = FirstFit(model, count);
                        if (at < 0)
                        {
                            Assert.Throws<OutOfAddressSpaceException>(() => space.MapAny(length, MapInfo.Anonymous(prot)));
                            break;
                        }
                        Assert.Equal(origin + (ulong)at * Page, space.MapAny(length - 1, MapInfo.Anonymous(prot)));
                        Fill(model, at, count, _ => MapInfo.Anonymous(prot));
                        break;
                    }
                    case 1 or 2:
                    {
                        // Odd prots map a file, even ones anonymous memory.
                        var info = prot % 2 == 1 ? new MapInfo(prot, Fd: 3, Offset: page * 0x100 * (long)Page) : MapInfo.Anonymous(prot);
                        if (!inside)
                        {
                            Assert.ThrowsAny<ArgumentException>(() => space.MapAt(address, length, info, record));
                            break;
                        }
                        space.MapAt(address, length, info, record);
                        Assert.Equal(ModelPieces(model, page, count, origin), calls);
                        Fill(model, page, count, k => info.Fd < 0 ? info : info with { Offset = info.Offset + (k - page) * (long)Page });
                        break;
                    }
                    case 3:
                        if (!inside)
                        {
                            Assert.ThrowsAny<ArgumentException>(() => space.Unmap(address, length, record));
                            break;
                        }
                        space.Unmap(address, length, record);
                        Assert.Equal(ModelPieces(model, page, count, origin), calls);
                        Fill(model, page, count, _ => null);
                        break;
                    case 4:
                        if (!inside)
                        {
                            Assert.ThrowsAny<ArgumentException>(() => space.Protect(address, length, prot, record));
                            break;
                        }
                        space.Protect(address, length, prot, record);
                        Assert.Equal(ModelPieces(model, page, count, origin), calls);
                        Fill(model, page, count, k => model[k] is { } m ? m with { Protection = prot } : null);
                        break;
                    case 5:
                        space.MarkOriginal();
                        Fill(model, 0, Pages, k => model[k] is { } m ? m with { Original = true } : null);
                        break;
                    case 6:
                    {
                        space.UnmapNonOriginal(record);
                        var expected = new List<(ulong, ulong, MapInfo)>();
                        foreach (var run in Runs(model).Where(r => !r.Info.Original))
                        {
                            expected.Add((origin + (ulong)run.Start * Page, (ulong)(run.End - run.Start) * Page, run.Info));
                        }
                        Assert.Equal(expected, calls);
                        Fill(model, 0, Pages, k => model[k] is { Original: true } m ? m : null);
                        break;
                    }
                    case 7:
                    {
                        ulong probe = address + (ulong)count * 100;
                        bool found = space.QueryPage(probe, out var info);
                        ulong pageIndex = (probe - origin) / Page;
                        MapInfo? want = probe >= origin && pageIndex < Pages ? model[pageIndex] : null;
                        Assert.Equal(want is not null, found);
                        if (found)
                        {
                            Assert.Equal(want, info);
                        }
                        break;
                    }
                }
                space.Validate();
                Assert.Equal(Runs(model).Select(r => new RangeEntry<MapInfo>(origin + (ulong)r.Start * Page, origin + (ulong)r.End * Page, r.Info)), space.Mappings);
                var gaps = FreeRuns(model).Select(g => (origin + (ulong)g.Start * Page, origin + (ulong)g.End * Page)).ToList();
                Assert.Equal(gaps, space.Gaps);
                Assert.Equal(gaps.Count, space.GapCount);
            }
        }, iter: 2000);
    }

    // Thousands of mappings, so the gap index spans several tree levels and leaf boundaries: every
    // map_any must still land where a first-fit scan of a per-page model says.
    [Fact]
    public void Map_any_matches_a_first_fit_scan_with_thousands_of_mappings()
    {
        const int pages = 12_000;
        var ops = Gen.Select(Gen.Int[0, 3], Gen.Int[0, pages - 1], Gen.Int[1, 9], Gen.Int[1, 3]);
        ops.Array[3000, 5000].Sample(list =>
        {
            var space = new AddressSpace(0, pages * Page, Page);
            var model = new MapInfo?[pages];
            int step = 0;
            foreach (var (op, page, count, prot) in list)
            {
                int n = Math.Min(count, pages - page);
                switch (op)
                {
                    case 0 or 1:
                        space.MapAt((ulong)page * Page, (ulong)n * Page, MapInfo.Anonymous(prot));
                        Fill(model, page, n, _ => MapInfo.Anonymous(prot));
                        break;
                    case 2:
                        space.Unmap((ulong)page * Page, (ulong)n * Page);
                        Fill(model, page, n, _ => null);
                        break;
                    default:
                    {
                        // Lengths up to 9 pages: small ones fill early holes, large ones need the index to skip them.
                        int at = FirstFitScan(model, count);
                        if (at < 0)
                        {
                            Assert.Throws<OutOfAddressSpaceException>(() => space.MapAny((ulong)count * Page, MapInfo.Anonymous(prot)));
                            break;
                        }
                        Assert.Equal((ulong)at * Page, space.MapAny((ulong)count * Page, MapInfo.Anonymous(prot)));
                        Fill(model, at, count, _ => MapInfo.Anonymous(prot));
                        break;
                    }
                }
                if (++step % 250 == 0)
                {
                    space.Validate();
                }
            }
            space.Validate();
            Assert.True(space.MappingCount > 1000, $"only {space.MappingCount} mappings");
            Assert.Equal(FreeRuns(model).Select(g => ((ulong)g.Start * Page, (ulong)g.End * Page)), space.Gaps);
        }, iter: 6);
    }

    private static int FirstFit(MapInfo?[] model, int count)
    {
        for (int start = 0; start + count <= model.Length; start++)
        {
            if (Enumerable.Range(start, count).All(k => model[k] is null))
            {
                return start;
            }
        }
        return -1;
    }

    // One pass counting the free run so far (the LINQ FirstFit is too slow for 12,000 pages).
    private static int FirstFitScan(MapInfo?[] model, int count)
    {
        int run = 0;
        for (int k = 0; k < model.Length; k++)
        {
            run = model[k] is null ? run + 1 : 0;
            if (run == count)
            {
                return k - count + 1;
            }
        }
        return -1;
    }

    private static IEnumerable<(int Start, int End)> FreeRuns(MapInfo?[] model)
    {
        int k = 0;
        while (k < model.Length)
        {
            if (model[k] is not null)
            {
                k++;
                continue;
            }
            int start = k;
            while (k < model.Length && model[k] is null)
            {
                k++;
            }
            yield return (start, k);
        }
    }

    private static void Fill(MapInfo?[] model, int start, int count, Func<int, MapInfo?> value)
    {
        for (int k = start; k < start + count; k++)
        {
            model[k] = value(k);
        }
    }

    // Two neighbouring pages belong to one entry when they agree on everything and, for files, the offsets continue.
    private static bool Continues(MapInfo a, MapInfo b) =>
        a.Fd < 0 ? a == b : b == a with { Offset = a.Offset + (long)Page };

    private static IEnumerable<(int Start, int End, MapInfo Info)> Runs(MapInfo?[] model, int lo = 0, int hi = Pages)
    {
        int k = lo;
        while (k < hi)
        {
            if (model[k] is not { } info)
            {
                k++;
                continue;
            }
            int start = k;
            k++;
            while (k < hi && model[k] is { } next && Continues(model[k - 1]!.Value, next))
            {
                k++;
            }
            yield return (start, k, info);
        }
    }

    private static List<(ulong, ulong, MapInfo)> ModelPieces(MapInfo?[] model, int page, int count, ulong origin)
    {
        // Entries are maximal runs of the whole model, trimmed to the range.
        var result = new List<(ulong, ulong, MapInfo)>();
        foreach (var run in Runs(model))
        {
            int s = Math.Max(run.Start, page);
            int e = Math.Min(run.End, page + count);
            if (s < e)
            {
                result.Add((origin + (ulong)s * Page, (ulong)(e - s) * Page, model[s]!.Value));
            }
        }
        return result;
    }
}
