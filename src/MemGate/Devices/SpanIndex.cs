using MemGate.Ranges;

namespace MemGate.Devices;

/// <summary>
/// Numbered inclusive ranges [start, last] per address space on <see cref="RangeMap{TValue}"/>, overlaps
/// allowed: each key maps to the numbers of every range covering it, in the order they were added.
/// RangeMap ends are exclusive, so a range reaching 2^64 − 1 keeps that last key in a side list.
/// </summary>
internal sealed class SpanIndex
{
    private static readonly int[] None = [];
    private readonly Dictionary<string, Space> _spaces = new(StringComparer.Ordinal);

    /// <summary>Adds range <paramref name="item"/>; <paramref name="last"/> is inclusive and not below <paramref name="start"/>.</summary>
    public void Add(string space, int item, ulong start, ulong last)
    {
        if (!_spaces.TryGetValue(space, out var s))
        {
            _spaces[space] = s = new Space();
        }
        ulong end = last == ulong.MaxValue ? ulong.MaxValue : last + 1;
        if (start < end)
        {
            s.Map.Merge(start, end, [item], static (old, added) => [.. old, .. added]);
        }
        if (last == ulong.MaxValue)
        {
            s.Top.Add(item);
        }
    }

    /// <summary>The ranges covering <paramref name="key"/>, in the order added.</summary>
    public IReadOnlyList<int> Covering(string space, ulong key)
    {
        if (!_spaces.TryGetValue(space, out var s))
        {
            return None;
        }
        return key == ulong.MaxValue ? s.Top : s.Map.TryFind(key, out var entry) ? entry.Value : None;
    }

    /// <summary>The ranges overlapping [<paramref name="start"/>, <paramref name="last"/>], each once, by the address where they first meet it.</summary>
    public List<int> Overlapping(string space, ulong start, ulong last)
    {
        var found = new List<int>();
        if (!_spaces.TryGetValue(space, out var s))
        {
            return found;
        }
        var seen = new HashSet<int>();
        ulong end = last == ulong.MaxValue ? ulong.MaxValue : last + 1;
        foreach (var entry in s.Map.GetOverlapping(start, end))
        {
            foreach (int item in entry.Value)
            {
                if (seen.Add(item))
                {
                    found.Add(item);
                }
            }
        }
        if (last == ulong.MaxValue)
        {
            found.AddRange(s.Top.Where(seen.Add));
        }
        return found;
    }

    private sealed class Space
    {
        public RangeMap<int[]> Map { get; } = new(SameItems.Instance);

        public List<int> Top { get; } = [];
    }

    // Neighbouring pieces covered by the same ranges coalesce into one entry.
    private sealed class SameItems : IEqualityComparer<int[]>
    {
        public static readonly SameItems Instance = new();

        public bool Equals(int[]? x, int[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] items) => items.Length == 0 ? 0 : HashCode.Combine(items.Length, items[0]);
    }
}
