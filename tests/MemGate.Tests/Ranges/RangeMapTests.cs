using CsCheck;
using MemGate.Ranges;

namespace MemGate.Tests.Ranges;

public class RangeMapTests
{
    [Fact]
    public void Readme_example_splits_and_trims()
    {
        var map = new RangeMap<int>();
        map.Insert(0, 10, 1);
        map.Insert(5, 15, 2);
        Assert.Equal([new(0, 5, 1), new(5, 15, 2)], map.ToList());
        Assert.Equal(new RangeEntry<int>(5, 15, 2), map.Find(7));
        map.Remove(3, 12);
        Assert.Equal([new(0, 3, 1), new(12, 15, 2)], map.ToList());
        Assert.Null(map.Find(5));
    }

    [Fact]
    public void Adjacent_equal_values_coalesce_and_split_again()
    {
        var map = new RangeMap<string>();
        map.Insert(0, 4, "a");
        map.Insert(8, 12, "a");
        map.Insert(4, 8, "a");
        Assert.Equal([new(0, 12, "a")], map.ToList());
        map.Insert(5, 6, "b");
        Assert.Equal([new(0, 5, "a"), new(5, 6, "b"), new(6, 12, "a")], map.ToList());
    }

    [Fact]
    public void Gaps_overlaps_and_first_fit()
    {
        var map = new RangeMap<int>(indexLengths: true);
        map.Insert(10, 20, 1);
        map.Insert(30, 35, 2);
        Assert.Equal([(0UL, 10UL), (20UL, 30UL), (35UL, 40UL)], map.GetGaps(0, 40));
        Assert.True(map.Overlaps(19, 21));
        Assert.False(map.Overlaps(20, 30));
        Assert.False(map.Overlaps(25, 25));
        Assert.True(map.FindFirstFit(5, out var fit));
        Assert.Equal(10UL, fit.Start);
        Assert.True(map.FindFirstFit(10, out fit));
        Assert.Equal(10UL, fit.Start);
        Assert.False(map.FindFirstFit(11, out _));
    }

    [Fact]
    public void First_gap_lies_between_entries()
    {
        var map = new RangeMap<int>(indexGaps: true);
        Assert.False(map.FindFirstGap(1, out _, out _));
        map.Insert(10, 20, 1);
        map.Insert(23, 25, 2);
        map.Insert(30, 35, 2);
        map.Insert(50, 60, 1);
        Assert.True(map.FindFirstGap(3, out ulong start, out ulong end));
        Assert.Equal((20UL, 23UL), (start, end));
        Assert.True(map.FindFirstGap(4, out start, out end));
        Assert.Equal((25UL, 30UL), (start, end));
        Assert.True(map.FindFirstGap(15, out start, out end));
        Assert.Equal((35UL, 50UL), (start, end));
        Assert.False(map.FindFirstGap(16, out _, out _));   // the space before 10 and after 60 is not between entries
        map.Insert(20, 23, 1);                               // fills the first gap and coalesces
        Assert.True(map.FindFirstGap(3, out start, out _));
        Assert.Equal(25UL, start);
        Assert.Throws<InvalidOperationException>(() => new RangeMap<int>().FindFirstGap(1, out _, out _));
    }

    [Fact]
    public void Ranges_may_end_at_the_top_of_the_key_space()
    {
        var map = new RangeMap<int>();
        map.Insert(ulong.MaxValue - 10, ulong.MaxValue, 7);
        Assert.Equal(7, map.Find(ulong.MaxValue - 1)!.Value.Value);
        Assert.Null(map.Find(ulong.MaxValue));
        Assert.Equal([(0UL, ulong.MaxValue - 10)], map.GetGaps(0, ulong.MaxValue));
    }

    [Theory]
    [InlineData(5UL, 5UL)]
    [InlineData(6UL, 5UL)]
    public void Empty_or_reversed_ranges_are_rejected(ulong start, ulong end)
    {
        var map = new RangeMap<int>();
        Assert.Throws<ArgumentException>(() => map.Insert(start, end, 1));
        Assert.Throws<ArgumentException>(() => map.Remove(start, end));
        Assert.True(map.IsEmpty);
    }

    [Fact]
    public void Enumeration_detects_modification()
    {
        var map = new RangeMap<int>();
        map.Insert(0, 1, 1);
        map.Insert(2, 3, 1);
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in map)
            {
                map.Insert(5, 6, 1);
            }
        });
    }

    [Fact]
    public void Flagged_entries_are_found_without_the_others()
    {
        var map = new RangeMap<int>(flagOf: v => v < 0);
        for (ulong i = 0; i < 100; i++)
        {
            map.Insert(i * 10, i * 10 + 5, i % 10 == 3 ? -1 : (int)i);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ulong)(i * 100 + 30)), map.GetFlagged().Select(e => e.Start));
        map.UpdateAll(v => Math.Abs(v));
        Assert.Empty(map.GetFlagged());
    }

    // Random operation sequences against a model that stores a value per key, near 0 and near 2^64.
    // The small universe hits every edge case of splitting and coalescing; the large one, with short
    // ranges, grows the tree to several levels so node splits, empty-node removal and the per-child
    // augmentation are exercised too.
    [Fact]
    public void Behaves_like_a_per_key_model()
    {
        const int universe = 48;
        var ops = Gen.Select(Gen.Int[0, 8], Gen.Int[0, universe], Gen.Int[0, universe], Gen.Int[0, 2]);
        Gen.Select(Gen.Bool, ops.Array[1, 120]).Sample(t => { RunAgainstModel(universe, t.Item1, t.Item2, compareEvery: 1); }, iter: 3000);
    }

    [Fact]
    public void Behaves_like_a_per_key_model_when_the_tree_has_several_levels()
    {
        const int universe = 6000;
        var ops = Gen.Int[0, universe].SelectMany(a => Gen.Select(
            Gen.Frequency((6, Gen.Const(0)), (2, Gen.Const(2)), (1, Gen.Int[3, 8])),
            Gen.Const(a),
            Gen.Int[0, 6].Select(d => Math.Min(universe, a + d)),
            Gen.Int[0, 3]));
        int tallest = 0;
        Gen.Select(Gen.Bool, ops.Array[2500, 4000]).Sample(t =>
        {
            tallest = Math.Max(tallest, RunAgainstModel(universe, t.Item1, t.Item2, compareEvery: 97));
        }, iter: 12);
        Assert.True(tallest >= 2, $"the tree only reached height {tallest}");
    }

    // Merge against the same per-key model: combine is not commutative, so a swapped argument shows.
    [Fact]
    public void Merge_behaves_like_a_per_key_model()
    {
        const int universe = 40;
        static int Combine(int old, int added) => (old * 3 + added + 1) % 7;
        var ops = Gen.Select(Gen.Int[0, 2], Gen.Int[0, universe], Gen.Int[0, universe], Gen.Int[0, 6]);
        Gen.Select(Gen.Bool, ops.Array[1, 80]).Sample(t =>
        {
            ulong origin = t.Item1 ? ulong.MaxValue - universe : 0;
            var map = new RangeMap<int>();
            var model = new int?[universe];
            foreach (var (op, a, b, v) in t.Item2)
            {
                int lo = Math.Min(a, b);
                int hi = Math.Max(a, b);
                if (lo == hi)
                {
                    Assert.Throws<ArgumentException>(() => map.Merge(origin + (ulong)lo, origin + (ulong)hi, v, Combine));
                    continue;
                }
                if (op == 2)
                {
                    map.Remove(origin + (ulong)lo, origin + (ulong)hi);
                    Array.Fill(model, null, lo, hi - lo);
                    continue;
                }
                ulong covered = op == 0
                    ? map.Merge(origin + (ulong)lo, origin + (ulong)hi, v, Combine)
                    : map.Insert(origin + (ulong)lo, origin + (ulong)hi, v);
                Assert.Equal((ulong)Enumerable.Range(lo, hi - lo).Count(k => model[k] is not null), covered);
                for (int k = lo; k < hi; k++)
                {
                    model[k] = op == 0 && model[k] is int old ? Combine(old, v) : v;
                }
                map.Validate();
                Assert.Equal(ModelRuns(model).Select(r => new RangeEntry<int>(origin + (ulong)r.Start, origin + (ulong)r.End, r.Value)), map.ToList());
            }
        }, iter: 3000);
    }

    private static int RunAgainstModel(int universe, bool high, (int Op, int A, int B, int V)[] ops, int compareEvery)
    {
        ulong origin = high ? ulong.MaxValue - (ulong)universe : 0;
        var map = new RangeMap<int>(flagOf: static v => v == 0, indexLengths: true, indexGaps: true);
        var model = new int?[universe];
        int step = 0;
        int tallest = 0;
        foreach (var (op, a, b, v) in ops)
        {
            int lo = Math.Min(a, b);
            int hi = Math.Max(a, b);
            ulong start = origin + (ulong)lo;
            ulong end = origin + (ulong)hi;
            switch (op)
            {
                case 0 or 1:
                    if (lo == hi)
                    {
                        Assert.Throws<ArgumentException>(() => map.Insert(start, end, v));
                        break;
                    }
                    map.Insert(start, end, v);
                    for (int k = lo; k < hi; k++)
                    {
                        model[k] = v;
                    }
                    break;
                case 2:
                    if (lo == hi)
                    {
                        Assert.Throws<ArgumentException>(() => map.Remove(start, end));
                        break;
                    }
                    map.Remove(start, end);
                    for (int k = lo; k < hi; k++)
                    {
                        model[k] = null;
                    }
                    break;
                case 3:
                    if (a < universe)
                    {
                        var found = map.Find(origin + (ulong)a);
                        Assert.Equal(model[a], found?.Value);
                        if (found is { } f)
                        {
                            Assert.True(f.Start <= origin + (ulong)a && origin + (ulong)a < f.End);
                        }
                    }
                    break;
                case 4:
                    Assert.Equal(Enumerable.Range(lo, hi - lo).Any(k => model[k] is not null), map.Overlaps(start, end));
                    break;
                case 5:
                    Assert.Equal(ModelGaps(model, lo, hi).Select(g => (origin + (ulong)g.Start, origin + (ulong)g.End)), map.GetGaps(start, end));
                    break;
                case 6:
                    ulong length = (ulong)Math.Max(1, hi - lo);
                    var expected = ModelRuns(model).FirstOrDefault(r => (ulong)(r.End - r.Start) >= length);
                    bool fits = map.FindFirstFit(length, out var fit);
                    Assert.Equal(expected != default, fits);
                    if (fits)
                    {
                        Assert.Equal(origin + (ulong)expected.Start, fit.Start);
                    }
                    break;
                case 7:
                    Assert.Equal(ModelRuns(model).Where(r => r.Value == 0).Select(r => origin + (ulong)r.Start), map.GetFlagged().Select(e => e.Start));
                    break;
                case 8:
                {
                    ulong wanted = (ulong)Math.Max(1, hi - lo);
                    var gap = ModelInnerGaps(model).FirstOrDefault(g => (ulong)(g.End - g.Start) >= wanted);
                    bool found = map.FindFirstGap(wanted, out ulong gapStart, out ulong gapEnd);
                    Assert.Equal(gap != default, found);
                    if (found)
                    {
                        Assert.Equal((origin + (ulong)gap.Start, origin + (ulong)gap.End), (gapStart, gapEnd));
                    }
                    break;
                }
            }
            if (++step % compareEvery == 0 || step == ops.Length)
            {
                map.Validate();
                tallest = Math.Max(tallest, map.Height);
                Assert.Equal(ModelRuns(model).Select(r => new RangeEntry<int>(origin + (ulong)r.Start, origin + (ulong)r.End, r.Value)), map.ToList());
            }
        }
        return tallest;
    }

    private static IEnumerable<(int Start, int End, int Value)> ModelRuns(int?[] model)
    {
        int k = 0;
        while (k < model.Length)
        {
            if (model[k] is not int v)
            {
                k++;
                continue;
            }
            int start = k;
            while (k < model.Length && model[k] == v)
            {
                k++;
            }
            yield return (start, k, v);
        }
    }

    // The unmapped runs between the first and the last mapped key (what FindFirstGap searches).
    private static IEnumerable<(int Start, int End)> ModelInnerGaps(int?[] model)
    {
        int first = Array.FindIndex(model, k => k is not null);
        int last = Array.FindLastIndex(model, k => k is not null);
        return first < 0 ? [] : ModelGaps(model, first, last + 1);
    }

    private static IEnumerable<(int Start, int End)> ModelGaps(int?[] model, int lo, int hi)
    {
        int k = lo;
        while (k < hi)
        {
            if (model[k] is not null)
            {
                k++;
                continue;
            }
            int start = k;
            while (k < hi && model[k] is null)
            {
                k++;
            }
            yield return (start, k);
        }
    }
}
