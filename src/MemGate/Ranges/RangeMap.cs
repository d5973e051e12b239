using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MemGate.Ranges;

/// <summary>
/// Maps non-overlapping half-open ranges [start, end) of <see cref="ulong"/> keys to values, the way
/// libmmap's <c>RangeMap</c> does: inserting splits and replaces what it overlaps, removing trims,
/// and adjacent ranges with equal values are coalesced into one.
/// </summary>
/// <remarks>
/// <para>The entries live in a B+tree whose nodes are slices of a few flat arrays (32 entries per
/// leaf, 32 children per inner node), so a search touches three or four short sorted arrays instead of
/// twenty scattered tree nodes, and steady-state use allocates nothing. Every operation is O(log n)
/// plus the size of its output. Leaves are linked for in-order walks. Empty nodes are removed;
/// under-full ones are not merged, which keeps deletion simple and never increases the height.</para>
/// <para>Optional augmentation, kept per child in inner nodes: the longest range in the subtree
/// (<c>indexLengths</c>, for <see cref="FindFirstFit"/>), the longest gap before an entry of the
/// subtree (<c>indexGaps</c>, for <see cref="FindFirstGap"/>; the gap before an entry is the distance
/// from its predecessor's end, so a leaf's first gap reaches into the previous leaf) and whether the
/// subtree holds a value the flag predicate accepts (for <see cref="GetFlagged"/>). They are updated
/// along one root path, and only while they change.</para>
/// <para>Keys are plain integers; a range may end at <see cref="ulong.MaxValue"/> (exclusive). Not thread safe.</para>
/// <example><code>
/// var map = new RangeMap&lt;int&gt;();
/// map.Insert(0, 10, 1);   // [0, 10) -> 1
/// map.Insert(5, 15, 2);   // [0, 5) -> 1, [5, 15) -> 2
/// map.Remove(3, 12);      // [0, 3) -> 1, [12, 15) -> 2
/// </code></example>
/// </remarks>
public sealed class RangeMap<TValue> : IEnumerable<RangeEntry<TValue>>
{
    private const int LeafBits = 5;
    private const int LeafCapacity = 1 << LeafBits;  // entries per leaf; a position is leaf << LeafBits | slot
    private const int NodeCapacity = 32;             // children per inner node
    private const int None = -1;

    private readonly IEqualityComparer<TValue> _comparer;
    private readonly Func<TValue, bool>? _flagOf;
    private readonly bool _indexLengths;
    private readonly bool _indexGaps;
    private readonly bool _augmented;

    // Leaves: entry arrays indexed by position, per-leaf arrays by leaf id.
    private ulong[] _starts = new ulong[LeafCapacity * 4];
    private ulong[] _ends = new ulong[LeafCapacity * 4];
    private TValue[] _values = new TValue[LeafCapacity * 4];
    private bool[] _flags;    // flagOf(value) per entry, so aggregates never call the predicate again
    private int[] _leafCount = new int[4];
    private int[] _leafParent = new int[4];
    private int[] _leafNext = new int[4];
    private int[] _leafPrev = new int[4];
    private int _leafUsed;
    private int _leafFree = None;

    // Inner nodes: per-child arrays indexed by node * NodeCapacity + i, per-node arrays by node id.
    private ulong[] _keys = new ulong[NodeCapacity * 2];      // exact minimum start of child i's subtree
    private int[] _children = new int[NodeCapacity * 2];
    private ulong[] _childMax = new ulong[NodeCapacity * 2];  // longest range under child i (indexLengths)
    private ulong[] _childGap = new ulong[NodeCapacity * 2];  // longest gap before an entry under child i (indexGaps)
    private bool[] _childFlag = new bool[NodeCapacity * 2];   // a flagged value under child i (flagOf)
    private int[] _nodeCount = new int[2];
    private int[] _nodeParent = new int[2];
    private int[] _nodeLevel = new int[2];                    // 1: children are leaves
    private int _nodeUsed;
    private int _nodeFree = None;

    private readonly int[] _pendingLeaves = new int[8];   // leaves whose aggregate awaits recomputing (RefreshLeaf)
    private int _pendingCount;

    private int _root;        // a leaf id when _height == 0, else a node id
    private int _height;
    private int _head;        // leftmost leaf
    private int _count;
    private int _version;

    /// <summary>Creates an empty map.</summary>
    /// <param name="comparer">Decides which adjacent values coalesce; the default equality if null.</param>
    /// <param name="flagOf">Optional predicate whose true values <see cref="GetFlagged"/> finds in O(k log n).</param>
    /// <param name="indexLengths">Keep the longest range per subtree so <see cref="FindFirstFit"/> works.</param>
    /// <param name="indexGaps">Keep the longest gap between entries per subtree so <see cref="FindFirstGap"/> works.</param>
    public RangeMap(IEqualityComparer<TValue>? comparer = null, Func<TValue, bool>? flagOf = null, bool indexLengths = false, bool indexGaps = false)
    {
        _comparer = comparer ?? EqualityComparer<TValue>.Default;
        _flagOf = flagOf;
        _indexLengths = indexLengths;
        _indexGaps = indexGaps;
        _augmented = indexLengths || indexGaps || flagOf is not null;
        _flags = flagOf is null ? [] : new bool[LeafCapacity * 4];
        Clear();
    }

    /// <summary>Number of (coalesced) entries.</summary>
    public int Count => _count;

    /// <summary>True when no range is stored.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        Array.Clear(_values);
        Array.Clear(_flags);
        _leafUsed = 0;
        _leafFree = None;
        _pendingCount = 0;
        _nodeUsed = 0;
        _nodeFree = None;
        _root = NewLeaf();
        _leafParent[_root] = None;
        _head = _root;
        _height = 0;
        _count = 0;
        _version++;
    }

    /// <summary>
    /// Maps [<paramref name="start"/>, <paramref name="end"/>) to <paramref name="value"/>. Overlapped
    /// entries are trimmed, split or removed; the new entry coalesces with equal neighbours.
    /// Returns how much of the range earlier entries covered (0: it was all free).
    /// </summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public ulong Insert(ulong start, ulong end, TValue value)
    {
        ulong covered = InsertCore(start, end, value);
        FlushRefreshes();
        return covered;
    }

    private ulong InsertCore(ulong start, ulong end, TValue value)
    {
        CheckRange(start, end);
        int following = RemoveCore(start, end, out ulong covered);
        int before = following != None ? Previous(following) : LastStartingAtOrBefore(start);
        _version++;
        // Extending an equal neighbour in place is the common case (consecutive maps with one protection).
        bool joinsBefore = before != None && _ends[before] == start && _comparer.Equals(_values[before], value);
        bool joinsFollowing = following != None && _starts[following] == end && _comparer.Equals(_values[following], value);
        if (joinsBefore)
        {
            if (joinsFollowing)
            {
                ulong last = _ends[following];
                DeleteAt(following); // after `before`, which keeps its position
                SetEnd(before, last);
            }
            else
            {
                SetEnd(before, end);
            }
            return covered;
        }
        if (joinsFollowing)
        {
            SetStart(following, start);
            return covered;
        }
        if (following != None)
        {
            InsertAt(following >> LeafBits, following & (LeafCapacity - 1), start, end, value);
        }
        else if (before != None)
        {
            InsertAt(before >> LeafBits, (before & (LeafCapacity - 1)) + 1, start, end, value);
        }
        else
        {
            InsertAt(_head, 0, start, end, value);
        }
        return covered;
    }

    /// <summary>
    /// Maps [<paramref name="start"/>, <paramref name="end"/>) without losing what is there: the unmapped
    /// parts get <paramref name="value"/>, each stored part inside the range gets
    /// <paramref name="combine"/>(its value, <paramref name="value"/>); parts of entries outside the range
    /// keep theirs. With set-valued maps this stores overlapping ranges (every key maps to all ranges
    /// covering it). Returns how much of the range earlier entries covered. O((k + 1) log n) for k entries touched.
    /// </summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public ulong Merge(ulong start, ulong end, TValue value, Func<TValue, TValue, TValue> combine)
    {
        CheckRange(start, end);
        ArgumentNullException.ThrowIfNull(combine);
        // Both lists are taken before the first insert: each insert only rewrites its own disjoint piece.
        var overlapping = GetOverlapping(start, end);
        var gaps = GetGaps(start, end);
        ulong covered = 0;
        foreach (var entry in overlapping)
        {
            ulong from = Math.Max(entry.Start, start);
            ulong to = Math.Min(entry.End, end);
            covered += to - from;
            Insert(from, to, combine(entry.Value, value));
        }
        foreach (var (gapStart, gapEnd) in gaps)
        {
            Insert(gapStart, gapEnd, value);
        }
        return covered;
    }

    /// <summary>Removes everything inside [<paramref name="start"/>, <paramref name="end"/>), trimming entries that stick out; returns how much was removed.</summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public ulong Remove(ulong start, ulong end)
    {
        CheckRange(start, end);
        RemoveCore(start, end, out ulong covered);
        FlushRefreshes();
        _version++;
        return covered;
    }

    /// <summary>Finds the entry containing <paramref name="key"/>.</summary>
    public bool TryFind(ulong key, out RangeEntry<TValue> entry)
    {
        int p = LastStartingAtOrBefore(key);
        if (p != None && _ends[p] > key)
        {
            entry = EntryOf(p);
            return true;
        }
        entry = default;
        return false;
    }

    /// <summary>The entry containing <paramref name="key"/>, or null.</summary>
    public RangeEntry<TValue>? Find(ulong key) => TryFind(key, out var e) ? e : null;

    /// <summary>True if any stored range overlaps [<paramref name="start"/>, <paramref name="end"/>); false for an empty range.</summary>
    public bool Overlaps(ulong start, ulong end)
    {
        if (start >= end)
        {
            return false;
        }
        int p = FirstEndingAfter(start);
        return p != None && _starts[p] < end;
    }

    /// <summary>Every entry overlapping [<paramref name="start"/>, <paramref name="end"/>), in address order (untrimmed).</summary>
    public List<RangeEntry<TValue>> GetOverlapping(ulong start, ulong end)
    {
        var result = new List<RangeEntry<TValue>>();
        if (start < end)
        {
            for (int p = FirstEndingAfter(start); p != None && _starts[p] < end; p = Next(p))
            {
                result.Add(EntryOf(p));
            }
        }
        return result;
    }

    /// <summary>The unmapped sub-ranges of [<paramref name="start"/>, <paramref name="end"/>), in address order.</summary>
    public List<(ulong Start, ulong End)> GetGaps(ulong start, ulong end)
    {
        var result = new List<(ulong Start, ulong End)>();
        if (start >= end)
        {
            return result;
        }
        ulong cursor = start;
        for (int p = FirstEndingAfter(start); p != None && _starts[p] < end; p = Next(p))
        {
            if (_starts[p] > cursor)
            {
                result.Add((cursor, _starts[p]));
            }
            cursor = Math.Max(cursor, _ends[p]);
        }
        if (cursor < end)
        {
            result.Add((cursor, end));
        }
        return result;
    }

    /// <summary>
    /// The lowest entry at least <paramref name="length"/> long, found by descending the
    /// longest-range index: O(log n), no scan of the entries.
    /// </summary>
    /// <exception cref="InvalidOperationException">The map was created without <c>indexLengths</c>.</exception>
    public bool FindFirstFit(ulong length, out RangeEntry<TValue> entry)
    {
        if (!_indexLengths)
        {
            throw new InvalidOperationException("This RangeMap was created without indexLengths.");
        }
        int n = _root;
        for (int level = _height; level > 0; level--)
        {
            int baseIndex = n * NodeCapacity;
            int count = _nodeCount[n];
            int i = 0;
            while (i < count && _childMax[baseIndex + i] < length)
            {
                i++;
            }
            if (i == count)
            {
                entry = default;
                return false;
            }
            n = _children[baseIndex + i];
        }
        int first = n << LeafBits;
        for (int p = first; p < first + _leafCount[n]; p++)
        {
            if (_ends[p] - _starts[p] >= length)
            {
                entry = EntryOf(p);
                return true;
            }
        }
        entry = default;
        return false;
    }

    /// <summary>
    /// The lowest gap of at least <paramref name="length"/> between two stored entries, [<paramref name="start"/>,
    /// <paramref name="end"/>) = [a predecessor's end, the next entry's start), found by descending the
    /// longest-gap index: O(log n). Space before the first entry and after the last is not a gap here.
    /// </summary>
    /// <exception cref="InvalidOperationException">The map was created without <c>indexGaps</c>.</exception>
    public bool FindFirstGap(ulong length, out ulong start, out ulong end)
    {
        if (!_indexGaps)
        {
            throw new InvalidOperationException("This RangeMap was created without indexGaps.");
        }
        int n = _root;
        for (int level = _height; level > 0; level--)
        {
            int baseIndex = n * NodeCapacity;
            int count = _nodeCount[n];
            int i = 0;
            while (i < count && _childGap[baseIndex + i] < length)
            {
                i++;
            }
            if (i == count)
            {
                start = end = 0;
                return false;
            }
            n = _children[baseIndex + i];
        }
        int first = n << LeafBits;
        ulong previousEnd = PreviousLeafEnd(n);
        for (int p = first; p < first + _leafCount[n]; p++)
        {
            if (_starts[p] - previousEnd >= length)
            {
                start = previousEnd;
                end = _starts[p];
                return true;
            }
            previousEnd = _ends[p];
        }
        start = end = 0;
        return false;
    }

    /// <summary>
    /// The entries whose value satisfies the flag predicate given at construction, in address order.
    /// Only subtrees that hold one are visited: O(k log n) for k results.
    /// </summary>
    /// <exception cref="InvalidOperationException">The map was created without a flag predicate.</exception>
    public List<RangeEntry<TValue>> GetFlagged()
    {
        if (_flagOf is null)
        {
            throw new InvalidOperationException("This RangeMap was created without a flag predicate.");
        }
        var result = new List<RangeEntry<TValue>>();
        CollectFlagged(_root, _height, result);
        return result;
    }

    /// <summary>
    /// Replaces every value with <paramref name="update"/>(value) and coalesces neighbours that
    /// become equal. O(n).
    /// </summary>
    public void UpdateAll(Func<TValue, TValue> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        int previous = None;
        int p = _count == 0 ? None : _head << LeafBits;
        while (p != None)
        {
            SetValue(p, update(_values[p]));
            RefreshLeaf(p >> LeafBits);
            if (previous != None && _ends[previous] == _starts[p] && _comparer.Equals(_values[previous], _values[p]))
            {
                ulong end = _ends[p];
                p = DeleteAt(p);
                SetEnd(previous, end);
                continue;
            }
            previous = p;
            p = Next(p);
        }
        FlushRefreshes();
        _version++;
    }

    /// <summary>Enumerates the entries in address order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<RangeEntry<TValue>> IEnumerable<RangeEntry<TValue>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>In-order enumerator; throws if the map changes during enumeration.</summary>
    public struct Enumerator : IEnumerator<RangeEntry<TValue>>
    {
        private readonly RangeMap<TValue> _map;
        private readonly int _version;
        private int _next;
        private RangeEntry<TValue> _current;

        internal Enumerator(RangeMap<TValue> map)
        {
            _map = map;
            _version = map._version;
            _next = map._count == 0 ? None : map._head << LeafBits;
            _current = default;
        }

        /// <inheritdoc />
        public readonly RangeEntry<TValue> Current => _current;

        readonly object? IEnumerator.Current => _current;

        /// <inheritdoc />
        public bool MoveNext()
        {
            if (_version != _map._version)
            {
                throw new InvalidOperationException("The RangeMap changed during enumeration.");
            }
            if (_next == None)
            {
                return false;
            }
            _current = _map.EntryOf(_next);
            _next = _map.Next(_next);
            return true;
        }

        /// <inheritdoc />
        public void Reset() => throw new NotSupportedException();

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }

    // ---- position-level access for AddressSpace (no result lists); positions are valid until the next change ----

    internal int FirstEndingAfterInternal(ulong key) => FirstEndingAfter(key);

    internal int SuccessorInternal(int position) => Next(position);

    internal RangeEntry<TValue> EntryAt(int position) => EntryOf(position);

    internal ulong StartAt(int position) => _starts[position];

    /// <summary>The first entry's start; only when the map is not empty.</summary>
    internal ulong FirstStart => _starts[_head << LeafBits];

    /// <summary>The last entry's end (the rightmost leaf's last); only when the map is not empty.</summary>
    internal ulong LastEnd
    {
        get
        {
            int n = _root;
            for (int level = _height; level > 0; level--)
            {
                n = _children[n * NodeCapacity + _nodeCount[n] - 1];
            }
            return _ends[(n << LeafBits) + _leafCount[n] - 1];
        }
    }

    /// <summary>Inner-node levels above the leaves (0: the root is a leaf); for tests.</summary>
    internal int Height => _height;

    // ---- searching ----

    private static void CheckRange(ulong start, ulong end)
    {
        if (start >= end)
        {
            ThrowBadRange(start, end);
        }
    }

    private static void ThrowBadRange(ulong start, ulong end) =>
        throw new ArgumentException($"Range [0x{start:X}, 0x{end:X}) is empty or reversed; start must be below end.");

    private RangeEntry<TValue> EntryOf(int p) => new(_starts[p], _ends[p], _values[p]);

    private void SetValue(int p, TValue value)
    {
        _values[p] = value;
        if (_flagOf is not null)
        {
            _flags[p] = _flagOf(value);
        }
    }

    // Shifts within one node or leaf overlap, and the runtime hands overlapping copies to the C library's
    // memmove through an interop call that costs more than copying the few elements here one by one.
    // Arrays of references keep the runtime's copy, which the garbage collector needs to see.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Move<T>(T[] array, int from, int to, int count)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            array.AsSpan(from, count).CopyTo(array.AsSpan(to, count));
            return;
        }
        ref T source = ref MemoryMarshal.GetArrayDataReference(array);
        if ((uint)from + (uint)count > (uint)array.Length || (uint)to + (uint)count > (uint)array.Length)
        {
            ThrowBadMove();
        }
        ref T target = ref Unsafe.Add(ref source, to);
        source = ref Unsafe.Add(ref source, from);
        if (to > from)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
            }
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
            }
        }
    }

    private static void ThrowBadMove() => throw new InvalidOperationException("RangeMap: move outside its array.");

    // Copies count children (key, child, augmentation) between slots of the inner-node arrays.
    private void MoveChildren(int from, int to, int count)
    {
        Move(_keys, from, to, count);
        Move(_children, from, to, count);
        if (_indexLengths)
        {
            Move(_childMax, from, to, count);
        }
        if (_indexGaps)
        {
            Move(_childGap, from, to, count);
        }
        if (_flagOf is not null)
        {
            Move(_childFlag, from, to, count);
        }
    }

    // Copies count entries between positions (overlapping ranges are fine).
    private void MoveEntries(int from, int to, int count)
    {
        Move(_starts, from, to, count);
        Move(_ends, from, to, count);
        Move(_values, from, to, count);
        if (_flagOf is not null)
        {
            Move(_flags, from, to, count);
        }
    }

    // The last entry whose start is at or below key, or None. Inner keys are exact subtree minimums.
    // Each level counts the keys at or below `key` with a branch-free vector compare: a binary search
    // over 32 keys mispredicts about half its branches, which costs more than comparing all of them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LastStartingAtOrBefore(ulong key)
    {
        int n = _root;
        for (int level = _height; level > 0; level--)
        {
            int baseIndex = n * NodeCapacity;
            int children = _nodeCount[n];
            uint below = AtOrBelowMask(_keys, baseIndex, children, key) & LowBits(children);
            // Child i covers [keys[i], keys[i+1]); key 0's own bit is ignored so keys below the minimum go to child 0.
            n = _children[baseIndex + BitOperations.PopCount(below & ~1u)];
        }
        int first = n << LeafBits;
        int entries = _leafCount[n];
        PrefetchEnds(first);
        int count = BitOperations.PopCount(AtOrBelowMask(_starts, first, entries, key) & LowBits(entries));
        return count == 0 ? None : first + count - 1;
    }

    // The caller reads the found entry's end next, and that load waits for the search over the starts:
    // asking for the leaf's ends now lets both cache misses overlap (random inserts: about 20 % faster).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchEnds(int first)
    {
        if (Sse.IsSupported)
        {
            fixed (ulong* ends = &_ends[first])
            {
                for (int line = 0; line < LeafCapacity; line += 8)
                {
                    Sse.Prefetch0(ends + line);
                }
            }
        }
    }

    private static uint LowBits(int count) => (uint)((1UL << count) - 1);

    // Bit i is set when array[baseIndex + i] <= key for the first `used` slots of one node or leaf, and
    // maybe for a few slots after them (whole vectors are compared; a node or leaf always has 32 slots).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint AtOrBelowMask(ulong[] array, int baseIndex, int used, ulong key)
    {
        ref ulong slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), baseIndex);
        if (Vector256.IsHardwareAccelerated)
        {
            var k = Vector256.Create(key);
            uint mask = 0;
            for (int i = 0; i < used; i += 4)
            {
                var v = Vector256.LoadUnsafe(ref slot, (nuint)i);
                mask |= Vector256.LessThanOrEqual(v, k).ExtractMostSignificantBits() << i;
            }
            return mask;
        }
        uint scalar = 0;
        for (int i = 0; i < used; i++)
        {
            scalar |= (Unsafe.Add(ref slot, i) <= key ? 1u : 0u) << i;
        }
        return scalar;
    }

    // Entries never overlap, so ends are sorted like starts.
    private int FirstEndingAfter(ulong key)
    {
        int p = LastStartingAtOrBefore(key);
        if (p == None)
        {
            return _count == 0 ? None : _head << LeafBits;
        }
        return _ends[p] > key ? p : Next(p);
    }

    private int Next(int p)
    {
        int leaf = p >> LeafBits;
        if ((p & (LeafCapacity - 1)) + 1 < _leafCount[leaf])
        {
            return p + 1;
        }
        int next = _leafNext[leaf];
        return next == None ? None : next << LeafBits;
    }

    private int Previous(int p)
    {
        if ((p & (LeafCapacity - 1)) > 0)
        {
            return p - 1;
        }
        int prev = _leafPrev[p >> LeafBits];
        return prev == None ? None : (prev << LeafBits) + _leafCount[prev] - 1;
    }

    private void CollectFlagged(int n, int level, List<RangeEntry<TValue>> result)
    {
        if (level == 0)
        {
            int first = n << LeafBits;
            for (int p = first; p < first + _leafCount[n]; p++)
            {
                if (_flags[p])
                {
                    result.Add(EntryOf(p));
                }
            }
            return;
        }
        int baseIndex = n * NodeCapacity;
        for (int i = 0; i < _nodeCount[n]; i++)
        {
            if (_childFlag[baseIndex + i])
            {
                CollectFlagged(_children[baseIndex + i], level - 1, result);
            }
        }
    }

    // ---- range editing ----

    // Clears [start, end); returns the position of the first entry after it, or None, and how much of the range was covered.
    private int RemoveCore(ulong start, ulong end, out ulong covered)
    {
        covered = 0;
        int p = FirstEndingAfter(start);
        while (p != None && _starts[p] < end)
        {
            ulong s = _starts[p];
            ulong e = _ends[p];
            covered += Math.Min(e, end) - Math.Max(s, start);
            if (s < start)
            {
                SetEnd(p, start);
                if (e > end)
                {
                    return InsertAt(p >> LeafBits, (p & (LeafCapacity - 1)) + 1, end, e, _values[p]);
                }
                p = Next(p);
            }
            else if (e > end)
            {
                SetStart(p, end);
                return p;
            }
            else
            {
                p = DeleteAt(p);
            }
        }
        return p;
    }

    private void SetEnd(int p, ulong end)
    {
        _ends[p] = end;
        int leaf = p >> LeafBits;
        RefreshLeaf(leaf);
        if (_indexGaps && (p & (LeafCapacity - 1)) == _leafCount[leaf] - 1)
        {
            RefreshNextLeaf(leaf); // its first gap starts at this end
        }
    }

    // A start moves only between its neighbours: above the previous entry's end, below its own end.
    private void SetStart(int p, ulong start)
    {
        _starts[p] = start;
        if ((p & (LeafCapacity - 1)) == 0)
        {
            PropagateMinimum(p >> LeafBits, 0);
        }
        RefreshLeaf(p >> LeafBits);
    }

    // ---- leaves ----

    private int NewLeaf()
    {
        int leaf;
        if (_leafFree != None)
        {
            leaf = _leafFree;
            _leafFree = _leafNext[leaf];
        }
        else
        {
            leaf = _leafUsed++;
            if (leaf == _leafCount.Length)
            {
                int size = _leafCount.Length * 2;
                Array.Resize(ref _leafCount, size);
                Array.Resize(ref _leafParent, size);
                Array.Resize(ref _leafNext, size);
                Array.Resize(ref _leafPrev, size);
                Array.Resize(ref _starts, size * LeafCapacity);
                Array.Resize(ref _ends, size * LeafCapacity);
                Array.Resize(ref _values, size * LeafCapacity);
                if (_flagOf is not null)
                {
                    Array.Resize(ref _flags, size * LeafCapacity);
                }
            }
        }
        _leafCount[leaf] = 0;
        _leafNext[leaf] = None;
        _leafPrev[leaf] = None;
        return leaf;
    }

    private void FreeLeaf(int leaf)
    {
        _leafParent[leaf] = None; // a pending refresh of it does nothing
        _leafNext[leaf] = _leafFree;
        _leafFree = leaf;
    }

    // Inserts an entry at (leaf, slot), splitting a full leaf; returns the entry's position.
    private int InsertAt(int leaf, int slot, ulong start, ulong end, TValue value)
    {
        if (_leafCount[leaf] == LeafCapacity)
        {
            int right = SplitLeaf(leaf);
            if (slot > LeafCapacity / 2)
            {
                leaf = right;
                slot -= LeafCapacity / 2;
            }
        }
        int first = leaf << LeafBits;
        int count = _leafCount[leaf];
        int at = first + slot;
        if (slot < count)
        {
            MoveEntries(at, at + 1, count - slot);
        }
        _starts[at] = start;
        _ends[at] = end;
        SetValue(at, value);
        _leafCount[leaf] = count + 1;
        _count++;
        if (slot == 0)
        {
            PropagateMinimum(leaf, 0);
        }
        RefreshLeaf(leaf);
        if (_indexGaps && slot == count)
        {
            RefreshNextLeaf(leaf); // the new entry is the leaf's last: the next leaf's first gap starts at it
        }
        return at;
    }

    // Moves the upper half of a full leaf into a new right sibling; returns the sibling.
    private int SplitLeaf(int leaf)
    {
        int right = NewLeaf();
        const int half = LeafCapacity / 2;
        int from = (leaf << LeafBits) + half;
        int to = right << LeafBits;
        MoveEntries(from, to, half);
        Array.Clear(_values, from, half);
        _leafCount[leaf] = half;
        _leafCount[right] = half;

        int next = _leafNext[leaf];
        _leafNext[right] = next;
        _leafPrev[right] = leaf;
        _leafNext[leaf] = right;
        if (next != None)
        {
            _leafPrev[next] = right;
        }

        if (_height == 0)
        {
            int root = NewNode(level: 1);
            AppendChild(root, leaf, isLeaf: true);
            _root = root;
            _height = 1;
            _nodeParent[root] = None;
        }
        int parent = _leafParent[leaf];
        InsertChild(parent, IndexInParent(parent, leaf), right, isLeaf: true);
        RefreshLeaf(leaf);
        RefreshLeaf(right);
        return right;
    }

    // Removes the entry at p; returns the position of the entry that followed it (or None).
    private int DeleteAt(int p)
    {
        int leaf = p >> LeafBits;
        int slot = p & (LeafCapacity - 1);
        int count = _leafCount[leaf];
        int tail = count - slot - 1;
        if (tail > 0)
        {
            MoveEntries(p + 1, p, tail);
        }
        _values[(leaf << LeafBits) + count - 1] = default!;
        _leafCount[leaf] = count - 1;
        _count--;

        int nextLeaf = _leafNext[leaf];
        if (count - 1 == 0 && _height > 0)
        {
            RemoveLeaf(leaf);
            if (_indexGaps && nextLeaf != None)
            {
                RefreshLeaf(nextLeaf); // its first gap now starts at the previous leaf's end
            }
            return nextLeaf == None ? None : nextLeaf << LeafBits;
        }
        if (slot == 0 && count - 1 > 0)
        {
            PropagateMinimum(leaf, 0);
        }
        RefreshLeaf(leaf);
        if (tail > 0)
        {
            return p;
        }
        if (_indexGaps && nextLeaf != None)
        {
            RefreshLeaf(nextLeaf); // the leaf's last entry went: the next leaf's first gap grew
        }
        return nextLeaf == None ? None : nextLeaf << LeafBits;
    }

    private void RemoveLeaf(int leaf)
    {
        int prev = _leafPrev[leaf];
        int next = _leafNext[leaf];
        if (prev != None)
        {
            _leafNext[prev] = next;
        }
        else
        {
            _head = next;
        }
        if (next != None)
        {
            _leafPrev[next] = prev;
        }
        int parent = _leafParent[leaf];
        RemoveChild(parent, IndexInParent(parent, leaf));
        FreeLeaf(leaf);
    }

    // ---- inner nodes ----

    private int NewNode(int level)
    {
        int node;
        if (_nodeFree != None)
        {
            node = _nodeFree;
            _nodeFree = _nodeParent[node];
        }
        else
        {
            node = _nodeUsed++;
            if (node == _nodeCount.Length)
            {
                int size = _nodeCount.Length * 2;
                Array.Resize(ref _nodeCount, size);
                Array.Resize(ref _nodeParent, size);
                Array.Resize(ref _nodeLevel, size);
                Array.Resize(ref _keys, size * NodeCapacity);
                Array.Resize(ref _children, size * NodeCapacity);
                Array.Resize(ref _childMax, size * NodeCapacity);
                Array.Resize(ref _childGap, size * NodeCapacity);
                Array.Resize(ref _childFlag, size * NodeCapacity);
            }
        }
        _nodeCount[node] = 0;
        _nodeLevel[node] = level;
        return node;
    }

    private int IndexInParent(int parent, int child)
    {
        int i = _children.AsSpan(parent * NodeCapacity, _nodeCount[parent]).IndexOf(child);
        return i >= 0 ? i : throw new InvalidOperationException("RangeMap: child missing from its parent.");
    }

    private ulong MinimumOf(int child, bool isLeaf) =>
        isLeaf ? _starts[child << LeafBits] : _keys[child * NodeCapacity];

    private void SetParent(int child, bool isLeaf, int parent)
    {
        if (isLeaf)
        {
            _leafParent[child] = parent;
        }
        else
        {
            _nodeParent[child] = parent;
        }
    }

    private void AppendChild(int node, int child, bool isLeaf)
    {
        int i = node * NodeCapacity + _nodeCount[node]++;
        _children[i] = child;
        _keys[i] = MinimumOf(child, isLeaf);
        SetParent(child, isLeaf, node);
        (_childMax[i], _childGap[i], _childFlag[i]) = isLeaf ? LeafAggregate(child) : NodeAggregate(child);
    }

    // Inserts child after position `after` of node, splitting the node when full.
    private void InsertChild(int node, int after, int child, bool isLeaf)
    {
        if (_nodeCount[node] == NodeCapacity)
        {
            int right = SplitNode(node);
            if (after >= NodeCapacity / 2)
            {
                node = right;
                after -= NodeCapacity / 2;
            }
        }
        int baseIndex = node * NodeCapacity;
        int count = _nodeCount[node];
        int at = baseIndex + after + 1;
        int tail = baseIndex + count - at;
        if (tail > 0)
        {
            MoveChildren(at, at + 1, tail);
        }
        _children[at] = child;
        _keys[at] = MinimumOf(child, isLeaf);
        (_childMax[at], _childGap[at], _childFlag[at]) = isLeaf ? LeafAggregate(child) : NodeAggregate(child);
        _nodeCount[node] = count + 1;
        SetParent(child, isLeaf, node);
        RefreshNode(node);
    }

    private int SplitNode(int node)
    {
        bool leafChildren = _nodeLevel[node] == 1;
        int right = NewNode(_nodeLevel[node]);
        const int half = NodeCapacity / 2;
        int from = node * NodeCapacity + half;
        int to = right * NodeCapacity;
        MoveChildren(from, to, half);
        _nodeCount[node] = half;
        _nodeCount[right] = half;
        for (int i = 0; i < half; i++)
        {
            SetParent(_children[to + i], leafChildren, right);
        }

        if (_nodeParent[node] == None)
        {
            int root = NewNode(_nodeLevel[node] + 1);
            _nodeParent[root] = None;
            AppendChild(root, node, isLeaf: false);
            _root = root;
            _height++;
        }
        int parent = _nodeParent[node];
        RefreshNode(node);
        InsertChild(parent, IndexInParent(parent, node), right, isLeaf: false);
        return right;
    }

    private void RemoveChild(int node, int index)
    {
        int baseIndex = node * NodeCapacity;
        int count = _nodeCount[node];
        int tail = count - index - 1;
        if (tail > 0)
        {
            int at = baseIndex + index;
            MoveChildren(at + 1, at, tail);
        }
        _nodeCount[node] = count - 1;
        if (count - 1 == 0)
        {
            // Only the root can empty this way, when the last leaf goes; the map keeps an empty root leaf.
            int parent = _nodeParent[node];
            _nodeParent[node] = _nodeFree;
            _nodeFree = node;
            if (parent != None)
            {
                RemoveChild(parent, IndexInParent(parent, node));
            }
            return;
        }
        if (index == 0)
        {
            PropagateMinimum(node, _nodeLevel[node]);
        }
        RefreshNode(node);
        CollapseRoot();
    }

    // A root with a single child is replaced by that child.
    private void CollapseRoot()
    {
        while (_height > 0 && _nodeCount[_root] == 1)
        {
            int old = _root;
            _root = _children[old * NodeCapacity];
            _height--;
            SetParent(_root, _height == 0, None);
            _nodeParent[old] = _nodeFree;
            _nodeFree = old;
        }
    }

    // The first key of a leaf (level 0) or node changed: update ancestors' keys while it is their first child.
    private void PropagateMinimum(int child, int level)
    {
        ulong minimum = level == 0 ? _starts[child << LeafBits] : _keys[child * NodeCapacity];
        int parent = level == 0 ? _leafParent[child] : _nodeParent[child];
        while (parent != None)
        {
            int i = IndexInParent(parent, child);
            _keys[parent * NodeCapacity + i] = minimum;
            if (i != 0)
            {
                return;
            }
            child = parent;
            parent = _nodeParent[parent];
        }
    }

    // ---- augmentation ----

    private (ulong Max, ulong Gap, bool Flag) LeafAggregate(int leaf)
    {
        if (!_augmented)
        {
            return (0, 0, false);
        }
        ulong max = 0;
        ulong gap = 0;
        int first = leaf << LeafBits;
        int count = _leafCount[leaf];
        if (_indexLengths)
        {
            for (int p = first; p < first + count; p++)
            {
                max = Math.Max(max, _ends[p] - _starts[p]);
            }
        }
        if (_indexGaps && count > 0)
        {
            gap = Math.Max(_starts[first] - PreviousLeafEnd(leaf), MaxGapInside(first, count));
        }
        bool flag = _flagOf is not null && _flags.AsSpan(first, count).Contains(true);
        return (max, gap, flag);
    }

    // max(starts[p] - ends[p - 1]) over a leaf's entries after its first (0 for one entry), four at a time.
    private ulong MaxGapInside(int first, int count)
    {
        ref ulong starts = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_starts), first);
        ref ulong ends = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ends), first);
        ulong max = 0;
        int i = 1;
        if (Vector256.IsHardwareAccelerated && count > 4)
        {
            var wide = Vector256<ulong>.Zero;
            for (; i + 4 <= count; i += 4)
            {
                wide = Vector256.Max(wide, Vector256.LoadUnsafe(ref starts, (nuint)i) - Vector256.LoadUnsafe(ref ends, (nuint)(i - 1)));
            }
            max = Math.Max(Math.Max(wide[0], wide[1]), Math.Max(wide[2], wide[3]));
        }
        for (; i < count; i++)
        {
            max = Math.Max(max, Unsafe.Add(ref starts, i) - Unsafe.Add(ref ends, i - 1));
        }
        return max;
    }

    // The largest of count values, four at a time.
    private static ulong MaxOf(ulong[] array, int start, int count)
    {
        ref ulong values = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), start);
        ulong max = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && count >= 4)
        {
            var wide = Vector256<ulong>.Zero;
            for (; i + 4 <= count; i += 4)
            {
                wide = Vector256.Max(wide, Vector256.LoadUnsafe(ref values, (nuint)i));
            }
            max = Math.Max(Math.Max(wide[0], wide[1]), Math.Max(wide[2], wide[3]));
        }
        for (; i < count; i++)
        {
            max = Math.Max(max, Unsafe.Add(ref values, i));
        }
        return max;
    }

    // The end of the entry before the leaf's first one; the first entry's own start (gap 0) for the leftmost leaf.
    private ulong PreviousLeafEnd(int leaf)
    {
        int previous = _leafPrev[leaf];
        return previous == None ? _starts[leaf << LeafBits] : _ends[(previous << LeafBits) + _leafCount[previous] - 1];
    }

    private (ulong Max, ulong Gap, bool Flag) NodeAggregate(int node)
    {
        if (!_augmented)
        {
            return (0, 0, false);
        }
        ulong max = 0;
        ulong gap = 0;
        bool flag = false;
        int baseIndex = node * NodeCapacity;
        int end = baseIndex + _nodeCount[node];
        if (_indexLengths)
        {
            for (int i = baseIndex; i < end; i++)
            {
                max = Math.Max(max, _childMax[i]);
            }
        }
        if (_indexGaps)
        {
            gap = MaxOf(_childGap, baseIndex, end - baseIndex);
        }
        if (_flagOf is not null)
        {
            flag = _childFlag.AsSpan(baseIndex, end - baseIndex).Contains(true);
        }
        return (max, gap, flag);
    }

    private void RefreshNextLeaf(int leaf)
    {
        int next = _leafNext[leaf];
        if (next != None)
        {
            RefreshLeaf(next);
        }
    }

    // A leaf's entries changed. One edit touches its leaf several times (trim, delete, insert, coalesce),
    // so the leaf is only noted here and its aggregate recomputed once, when the public operation ends
    // (FlushRefreshes). Until then its parent's copy may be stale; nothing reads it in between.
    private void RefreshLeaf(int leaf)
    {
        if (!_augmented)
        {
            return;
        }
        var pending = _pendingLeaves.AsSpan(0, _pendingCount);
        if (pending.Contains(leaf))
        {
            return;
        }
        if (_pendingCount == _pendingLeaves.Length)
        {
            FlushRefreshes();
        }
        _pendingLeaves[_pendingCount++] = leaf;
    }

    private void FlushRefreshes()
    {
        for (int i = 0; i < _pendingCount; i++)
        {
            RefreshLeafNow(_pendingLeaves[i]);
        }
        _pendingCount = 0;
    }

    // Pushes a leaf's aggregate up while it changes. A freed leaf or the root leaf has no parent and is skipped.
    private void RefreshLeafNow(int leaf)
    {
        if (_leafParent[leaf] == None)
        {
            return;
        }
        var aggregate = LeafAggregate(leaf);
        int parent = _leafParent[leaf];
        int i = parent * NodeCapacity + IndexInParent(parent, leaf);
        if (_childMax[i] == aggregate.Max && _childGap[i] == aggregate.Gap && _childFlag[i] == aggregate.Flag)
        {
            return;
        }
        (_childMax[i], _childGap[i], _childFlag[i]) = aggregate;
        RefreshNode(parent);
    }

    private void RefreshNode(int node)
    {
        if (!_augmented)
        {
            return;
        }
        int parent = _nodeParent[node];
        while (parent != None)
        {
            var aggregate = NodeAggregate(node);
            int i = parent * NodeCapacity + IndexInParent(parent, node);
            if (_childMax[i] == aggregate.Max && _childGap[i] == aggregate.Gap && _childFlag[i] == aggregate.Flag)
            {
                return;
            }
            (_childMax[i], _childGap[i], _childFlag[i]) = aggregate;
            node = parent;
            parent = _nodeParent[node];
        }
    }

    /// <summary>Checks the tree's invariants (order, coalescing, keys, parents, links, augmentation); for tests.</summary>
    internal void Validate()
    {
        int counted = ValidateSubtree(_root, _height, None, out _, out _, out _, out _);
        if (counted != _count)
        {
            throw new InvalidOperationException($"count {_count} but {counted} entries reachable");
        }
        int walked = 0;
        int previous = None;
        for (int p = _count == 0 ? None : _head << LeafBits; p != None; p = Next(p))
        {
            if (_starts[p] >= _ends[p])
            {
                throw new InvalidOperationException("empty entry");
            }
            if (previous != None && _starts[p] < _ends[previous])
            {
                throw new InvalidOperationException("overlapping entries");
            }
            if (previous != None && _starts[p] == _ends[previous] && _comparer.Equals(_values[previous], _values[p]))
            {
                throw new InvalidOperationException("uncoalesced equal neighbours");
            }
            previous = p;
            walked++;
        }
        if (walked != _count)
        {
            throw new InvalidOperationException($"leaf chain has {walked} entries, count {_count}");
        }
    }

    private int ValidateSubtree(int n, int level, int parent, out ulong minimum, out ulong max, out ulong gap, out bool flag)
    {
        if (level == 0)
        {
            if (_leafParent[n] != parent)
            {
                throw new InvalidOperationException("bad leaf parent");
            }
            if (_leafCount[n] == 0 && parent != None)
            {
                throw new InvalidOperationException("empty leaf in tree");
            }
            minimum = _leafCount[n] > 0 ? _starts[n << LeafBits] : 0;
            (max, gap, flag) = LeafAggregate(n);
            return _leafCount[n];
        }
        if (_nodeParent[n] != parent || _nodeLevel[n] != level || _nodeCount[n] == 0)
        {
            throw new InvalidOperationException("bad inner node");
        }
        int total = 0;
        minimum = 0;
        max = 0;
        gap = 0;
        flag = false;
        int baseIndex = n * NodeCapacity;
        for (int i = 0; i < _nodeCount[n]; i++)
        {
            total += ValidateSubtree(_children[baseIndex + i], level - 1, n, out ulong childMin, out ulong childMax, out ulong childGap, out bool childFlag);
            if (_keys[baseIndex + i] != childMin)
            {
                throw new InvalidOperationException("stale separator key");
            }
            if (_augmented && (_childMax[baseIndex + i] != childMax || _childGap[baseIndex + i] != childGap || _childFlag[baseIndex + i] != childFlag))
            {
                throw new InvalidOperationException("stale augmentation");
            }
            if (i == 0)
            {
                minimum = childMin;
            }
            max = Math.Max(max, childMax);
            gap = Math.Max(gap, childGap);
            flag |= childFlag;
        }
        return total;
    }
}
