using System.Collections;
using MemGate.Ranges;
using System.Runtime.CompilerServices;

namespace MemGate.Benchmarks.Baselines;

/// <summary>
/// The first RangeMap design, kept as a benchmark baseline: a treap in flat arrays. Maps non-overlapping half-open ranges [start, end) of <see cref="ulong"/> keys to values, the way
/// libmmap's <c>RangeMap</c> does: inserting splits and replaces what it overlaps, removing trims,
/// and adjacent ranges with equal values are coalesced into one.
/// </summary>
/// <remarks>
/// <para>The entries live in a treap (randomised balanced search tree) stored in flat arrays, so every
/// operation is O(log n) plus the size of its output and steady-state use allocates nothing.
/// Each node is augmented with the longest range in its subtree (<see cref="FindFirstFit"/> finds the
/// lowest range of at least a given length without scanning) and, when a flag predicate is given,
/// with whether its subtree holds a flagged value (<see cref="GetFlagged"/> skips unflagged subtrees).</para>
/// <para>Keys are plain integers; a range may end at <see cref="ulong.MaxValue"/> (exclusive). Not thread safe.</para>
/// <example><code>
/// var map = new RangeMap&lt;int&gt;();
/// map.Insert(0, 10, 1);   // [0, 10) -> 1
/// map.Insert(5, 15, 2);   // [0, 5) -> 1, [5, 15) -> 2
/// map.Remove(3, 12);      // [0, 3) -> 1, [12, 15) -> 2
/// </code></example>
/// </remarks>
public sealed class TreapRangeMap<TValue> : IEnumerable<RangeEntry<TValue>>
{
    private const int Nil = -1;

    private struct Node
    {
        public ulong Start;
        public ulong End;
        public ulong MaxLength;   // longest End - Start in this subtree
        public int Left;
        public int Right;
        public int Parent;
        public uint Priority;     // max-heap order keeps the tree balanced in expectation
        public bool Flag;         // flagOf(value), cached
        public bool SubtreeFlag;  // any flagged node in this subtree
    }

    private readonly IEqualityComparer<TValue> _comparer;
    private readonly Func<TValue, bool>? _flagOf;
    private Node[] _nodes;
    private TValue[] _values;
    private int _root = Nil;
    private int _freeList = Nil;
    private int _used;
    private int _count;
    private int _version;
    private ulong _random = 0x9E3779B97F4A7C15;

    /// <summary>Creates an empty map.</summary>
    /// <param name="comparer">Decides which adjacent values coalesce; the default equality if null.</param>
    /// <param name="flagOf">Optional predicate whose true values <see cref="GetFlagged"/> can find in O(k log n).</param>
    public TreapRangeMap(IEqualityComparer<TValue>? comparer = null, Func<TValue, bool>? flagOf = null)
    {
        _comparer = comparer ?? EqualityComparer<TValue>.Default;
        _flagOf = flagOf;
        _nodes = new Node[16];
        _values = new TValue[16];
    }

    /// <summary>Number of (coalesced) entries.</summary>
    public int Count => _count;

    /// <summary>True when no range is stored.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        _root = Nil;
        _freeList = Nil;
        _used = 0;
        _count = 0;
        Array.Clear(_values);
        _version++;
    }

    /// <summary>
    /// Maps [<paramref name="start"/>, <paramref name="end"/>) to <paramref name="value"/>. Overlapped
    /// entries are trimmed, split or removed; the new entry coalesces with equal neighbours.
    /// </summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public void Insert(ulong start, ulong end, TValue value)
    {
        CheckRange(start, end);
        RemoveCore(start, end);
        int node = NewNode(start, end, value);
        Coalesce(node);
        _version++;
    }

    /// <summary>Removes everything inside [<paramref name="start"/>, <paramref name="end"/>), trimming entries that stick out.</summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public void Remove(ulong start, ulong end)
    {
        CheckRange(start, end);
        RemoveCore(start, end);
        _version++;
    }

    /// <summary>Finds the entry containing <paramref name="key"/>.</summary>
    public bool TryFind(ulong key, out RangeEntry<TValue> entry)
    {
        int n = FindNode(key);
        if (n == Nil)
        {
            entry = default;
            return false;
        }
        entry = EntryOf(n);
        return true;
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
        int n = FirstEndingAfter(start);
        return n != Nil && _nodes[n].Start < end;
    }

    /// <summary>Every entry overlapping [<paramref name="start"/>, <paramref name="end"/>), in address order (untrimmed).</summary>
    public List<RangeEntry<TValue>> GetOverlapping(ulong start, ulong end)
    {
        var result = new List<RangeEntry<TValue>>();
        if (start >= end)
        {
            return result;
        }
        for (int n = FirstEndingAfter(start); n != Nil && _nodes[n].Start < end; n = Successor(n))
        {
            result.Add(EntryOf(n));
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
        for (int n = FirstEndingAfter(start); n != Nil && _nodes[n].Start < end; n = Successor(n))
        {
            if (_nodes[n].Start > cursor)
            {
                result.Add((cursor, _nodes[n].Start));
            }
            cursor = Math.Max(cursor, _nodes[n].End);
        }
        if (cursor < end)
        {
            result.Add((cursor, end));
        }
        return result;
    }

    /// <summary>
    /// The lowest entry at least <paramref name="length"/> long, found by descending the
    /// longest-range augmentation: O(log n), no scan.
    /// </summary>
    public bool FindFirstFit(ulong length, out RangeEntry<TValue> entry)
    {
        int n = _root;
        if (n == Nil || _nodes[n].MaxLength < length)
        {
            entry = default;
            return false;
        }
        while (true)
        {
            ref Node node = ref _nodes[n];
            if (node.Left != Nil && _nodes[node.Left].MaxLength >= length)
            {
                n = node.Left;
            }
            else if (node.End - node.Start >= length)
            {
                entry = EntryOf(n);
                return true;
            }
            else
            {
                n = node.Right;
            }
        }
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
        CollectFlagged(_root, result);
        return result;
    }

    /// <summary>
    /// Replaces every value with <paramref name="update"/>(value) and coalesces neighbours that
    /// become equal. O(n).
    /// </summary>
    public void UpdateAll(Func<TValue, TValue> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        int n = LeftMost(_root);
        while (n != Nil)
        {
            SetValue(n, update(_values[n]));
            int prev = Predecessor(n);
            int next = Successor(n);
            if (prev != Nil && _nodes[prev].End == _nodes[n].Start && _comparer.Equals(_values[prev], _values[n]))
            {
                SetRange(prev, _nodes[prev].Start, _nodes[n].End);
                DeleteNode(n);
            }
            n = next;
        }
        _version++;
    }

    /// <summary>Enumerates the entries in address order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<RangeEntry<TValue>> IEnumerable<RangeEntry<TValue>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>In-order enumerator; throws if the map changes during enumeration.</summary>
    public struct Enumerator : IEnumerator<RangeEntry<TValue>>
    {
        private readonly TreapRangeMap<TValue> _map;
        private readonly int _version;
        private int _next;
        private RangeEntry<TValue> _current;

        internal Enumerator(TreapRangeMap<TValue> map)
        {
            _map = map;
            _version = map._version;
            _next = map.LeftMost(map._root);
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
            if (_next == Nil)
            {
                return false;
            }
            _current = _map.EntryOf(_next);
            _next = _map.Successor(_next);
            return true;
        }

        /// <inheritdoc />
        public void Reset() => throw new NotSupportedException();

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }

    // ---- internal node-level access, used by AddressSpace to avoid allocating result lists ----

    internal int FirstEndingAfterInternal(ulong key) => FirstEndingAfter(key);

    internal int SuccessorInternal(int node) => Successor(node);

    internal RangeEntry<TValue> EntryAt(int node) => EntryOf(node);

    internal ulong StartAt(int node) => _nodes[node].Start;

    // ---- tree machinery ----

    private static void CheckRange(ulong start, ulong end)
    {
        if (start >= end)
        {
            ThrowBadRange(start, end);
        }
    }

    private static void ThrowBadRange(ulong start, ulong end) =>
        throw new ArgumentException($"Range [0x{start:X}, 0x{end:X}) is empty or reversed; start must be below end.");

    private RangeEntry<TValue> EntryOf(int n) => new(_nodes[n].Start, _nodes[n].End, _values[n]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindNode(ulong key)
    {
        int n = _root;
        Node[] nodes = _nodes;
        while (n != Nil)
        {
            ref Node node = ref nodes[n];
            if (key < node.Start)
            {
                n = node.Left;
            }
            else if (key >= node.End)
            {
                n = node.Right;
            }
            else
            {
                return n;
            }
        }
        return Nil;
    }

    // Entries never overlap, so their ends are sorted like their starts.
    private int FirstEndingAfter(ulong key)
    {
        int candidate = Nil;
        int n = _root;
        while (n != Nil)
        {
            if (_nodes[n].End > key)
            {
                candidate = n;
                n = _nodes[n].Left;
            }
            else
            {
                n = _nodes[n].Right;
            }
        }
        return candidate;
    }

    private void RemoveCore(ulong start, ulong end)
    {
        int n = FirstEndingAfter(start);
        while (n != Nil && _nodes[n].Start < end)
        {
            ulong s = _nodes[n].Start;
            ulong e = _nodes[n].End;
            int next = Successor(n);
            if (s < start)
            {
                SetRange(n, s, start);
                if (e > end)
                {
                    NewNode(end, e, _values[n]);
                    return;
                }
            }
            else if (e > end)
            {
                SetRange(n, end, e);
                return;
            }
            else
            {
                DeleteNode(n);
            }
            n = next;
        }
    }

    private void Coalesce(int n)
    {
        int next = Successor(n);
        if (next != Nil && _nodes[next].Start == _nodes[n].End && _comparer.Equals(_values[n], _values[next]))
        {
            ulong end = _nodes[next].End;
            DeleteNode(next);
            SetRange(n, _nodes[n].Start, end);
        }
        int prev = Predecessor(n);
        if (prev != Nil && _nodes[prev].End == _nodes[n].Start && _comparer.Equals(_values[prev], _values[n]))
        {
            ulong end = _nodes[n].End;
            DeleteNode(n);
            SetRange(prev, _nodes[prev].Start, end);
        }
    }

    private int LeftMost(int n)
    {
        if (n == Nil)
        {
            return Nil;
        }
        while (_nodes[n].Left != Nil)
        {
            n = _nodes[n].Left;
        }
        return n;
    }

    private int Successor(int n)
    {
        if (_nodes[n].Right != Nil)
        {
            return LeftMost(_nodes[n].Right);
        }
        int p = _nodes[n].Parent;
        while (p != Nil && _nodes[p].Right == n)
        {
            n = p;
            p = _nodes[p].Parent;
        }
        return p;
    }

    private int Predecessor(int n)
    {
        if (_nodes[n].Left != Nil)
        {
            n = _nodes[n].Left;
            while (_nodes[n].Right != Nil)
            {
                n = _nodes[n].Right;
            }
            return n;
        }
        int p = _nodes[n].Parent;
        while (p != Nil && _nodes[p].Left == n)
        {
            n = p;
            p = _nodes[p].Parent;
        }
        return p;
    }

    private void CollectFlagged(int n, List<RangeEntry<TValue>> result)
    {
        if (n == Nil || !_nodes[n].SubtreeFlag)
        {
            return;
        }
        CollectFlagged(_nodes[n].Left, result);
        if (_nodes[n].Flag)
        {
            result.Add(EntryOf(n));
        }
        CollectFlagged(_nodes[n].Right, result);
    }

    private uint NextPriority()
    {
        // xorshift64*: cheap, and any fixed seed keeps runs reproducible.
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return (uint)((_random * 0x2545F4914F6CDD1DUL) >> 32);
    }

    private int AllocateNode()
    {
        if (_freeList != Nil)
        {
            int n = _freeList;
            _freeList = _nodes[n].Left;
            return n;
        }
        if (_used == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
            Array.Resize(ref _values, _values.Length * 2);
        }
        return _used++;
    }

    private int NewNode(ulong start, ulong end, TValue value)
    {
        int n = AllocateNode();
        bool flag = _flagOf is not null && _flagOf(value);
        _nodes[n] = new Node
        {
            Start = start,
            End = end,
            MaxLength = end - start,
            Left = Nil,
            Right = Nil,
            Parent = Nil,
            Priority = NextPriority(),
            Flag = flag,
            SubtreeFlag = flag,
        };
        _values[n] = value;
        _count++;

        // Plain BST insert as a leaf, then rotate up to restore the heap order of priorities.
        if (_root == Nil)
        {
            _root = n;
            return n;
        }
        int p = _root;
        while (true)
        {
            ref Node parent = ref _nodes[p];
            int next = start < parent.Start ? parent.Left : parent.Right;
            if (next == Nil)
            {
                if (start < parent.Start)
                {
                    parent.Left = n;
                }
                else
                {
                    parent.Right = n;
                }
                _nodes[n].Parent = p;
                break;
            }
            p = next;
        }
        while (_nodes[n].Parent != Nil && _nodes[_nodes[n].Parent].Priority < _nodes[n].Priority)
        {
            RotateUp(n);
        }
        UpdateUpwards(_nodes[n].Parent);
        return n;
    }

    private void DeleteNode(int n)
    {
        // Rotate the node down until it has at most one child, then splice it out.
        while (_nodes[n].Left != Nil && _nodes[n].Right != Nil)
        {
            int l = _nodes[n].Left;
            int r = _nodes[n].Right;
            RotateUp(_nodes[l].Priority > _nodes[r].Priority ? l : r);
        }
        int child = _nodes[n].Left != Nil ? _nodes[n].Left : _nodes[n].Right;
        int parent = _nodes[n].Parent;
        ReplaceChild(parent, n, child);
        if (child != Nil)
        {
            _nodes[child].Parent = parent;
        }
        UpdateUpwards(parent);

        _values[n] = default!;
        _nodes[n].Left = _freeList;
        _freeList = n;
        _count--;
    }

    private void ReplaceChild(int parent, int oldChild, int newChild)
    {
        if (parent == Nil)
        {
            _root = newChild;
        }
        else if (_nodes[parent].Left == oldChild)
        {
            _nodes[parent].Left = newChild;
        }
        else
        {
            _nodes[parent].Right = newChild;
        }
    }

    // Rotates n above its parent, keeping in-order sequence, and fixes both nodes' augmentation.
    private void RotateUp(int n)
    {
        int p = _nodes[n].Parent;
        int g = _nodes[p].Parent;
        if (_nodes[p].Left == n)
        {
            int b = _nodes[n].Right;
            _nodes[p].Left = b;
            if (b != Nil)
            {
                _nodes[b].Parent = p;
            }
            _nodes[n].Right = p;
        }
        else
        {
            int b = _nodes[n].Left;
            _nodes[p].Right = b;
            if (b != Nil)
            {
                _nodes[b].Parent = p;
            }
            _nodes[n].Left = p;
        }
        _nodes[p].Parent = n;
        _nodes[n].Parent = g;
        ReplaceChild(g, p, n);
        Recompute(p);
        Recompute(n);
    }

    private bool Recompute(int n)
    {
        ref Node node = ref _nodes[n];
        ulong max = node.End - node.Start;
        bool flag = node.Flag;
        if (node.Left != Nil)
        {
            max = Math.Max(max, _nodes[node.Left].MaxLength);
            flag |= _nodes[node.Left].SubtreeFlag;
        }
        if (node.Right != Nil)
        {
            max = Math.Max(max, _nodes[node.Right].MaxLength);
            flag |= _nodes[node.Right].SubtreeFlag;
        }
        bool changed = max != node.MaxLength || flag != node.SubtreeFlag;
        node.MaxLength = max;
        node.SubtreeFlag = flag;
        return changed;
    }

    // An ancestor's augmentation depends only on its children's, so stop at the first node that does not change.
    private void UpdateUpwards(int n)
    {
        while (n != Nil && Recompute(n))
        {
            n = _nodes[n].Parent;
        }
    }

    // Callers keep the order: the new range stays between the node's neighbours.
    private void SetRange(int n, ulong start, ulong end)
    {
        _nodes[n].Start = start;
        _nodes[n].End = end;
        UpdateUpwards(n);
    }

    private void SetValue(int n, TValue value)
    {
        _values[n] = value;
        bool flag = _flagOf is not null && _flagOf(value);
        if (flag != _nodes[n].Flag)
        {
            _nodes[n].Flag = flag;
            UpdateUpwards(n);
        }
    }

    /// <summary>Checks the tree's invariants (order, heap, parents, augmentation); for tests.</summary>
    internal void Validate()
    {
        int count = 0;
        ValidateNode(_root, Nil, ref count, out _, out _);
        if (count != _count)
        {
            throw new InvalidOperationException($"count {_count} but {count} nodes reachable");
        }
        ulong lastEnd = 0;
        bool first = true;
        for (int n = LeftMost(_root); n != Nil; n = Successor(n))
        {
            if (!first && _nodes[n].Start < lastEnd)
            {
                throw new InvalidOperationException("overlapping entries");
            }
            if (!first && _nodes[n].Start == lastEnd && _comparer.Equals(_values[Predecessor(n)], _values[n]))
            {
                throw new InvalidOperationException("uncoalesced equal neighbours");
            }
            lastEnd = _nodes[n].End;
            first = false;
        }
    }

    private void ValidateNode(int n, int parent, ref int count, out ulong max, out bool flag)
    {
        max = 0;
        flag = false;
        if (n == Nil)
        {
            return;
        }
        count++;
        ref Node node = ref _nodes[n];
        if (node.Parent != parent)
        {
            throw new InvalidOperationException("bad parent link");
        }
        if (node.Start >= node.End)
        {
            throw new InvalidOperationException("empty node");
        }
        if (parent != Nil && _nodes[parent].Priority < node.Priority)
        {
            throw new InvalidOperationException("heap order broken");
        }
        ValidateNode(node.Left, n, ref count, out ulong lm, out bool lf);
        ValidateNode(node.Right, n, ref count, out ulong rm, out bool rf);
        max = Math.Max(node.End - node.Start, Math.Max(lm, rm));
        flag = node.Flag | lf | rf;
        if (max != node.MaxLength || flag != node.SubtreeFlag)
        {
            throw new InvalidOperationException("stale augmentation");
        }
    }
}
