using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MemGate.Memory.Backing;
using MemGate.Memory.Internal;
using MemGate.Native;

namespace MemGate.Memory;

/// <summary>
/// One guest address space (a bus) whose regions are backed by real host memory: translation of guest
/// addresses to host pointers, bulk and typed access in the guest's byte order, atomics, and
/// permission checks that hold (a guest store to flash fails; a loader writes it through <see cref="Debug"/>).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Spaces of up to 32 bits are one host reservation: host = base + guest address,
/// and a bit per 4 KiB page and access kind says which accesses the fast path may make there. Wider
/// spaces keep a sorted region table (binary search) in front of which sit a granule table (one bounds
/// compare per access for regions that own their 1 MiB granule's entry) and a last-hit cache. Both keep
/// the table for the slow path: accesses that cross regions or pages, MMIO, and regions smaller than a
/// page. For tight loops, <see cref="GetAccessor"/> gives the same checks as a value kept in registers.</para>
/// <para><b>MMIO.</b> MMIO regions have no host memory; their accesses go to the region's
/// <see cref="IMmioHandler"/>. A naturally aligned access of 1, 2, 4 or 8 bytes reaches the handler
/// whole; any other access is split, as a bus would, into the largest naturally aligned pieces from
/// the low address up, each read or written in turn.</para>
/// <para><b>Concurrency model.</b> Any number of threads may access memory while one thread at a time
/// adds or removes regions (changes are serialised by a lock). The region table is immutable and
/// replaced by one reference write. A new region's host memory is committed before the table or page
/// bits announce it. A removed region is first withdrawn (page bits and slot bits cleared, new table
/// published) and its host memory is then only discarded (zeroed with MADV_DONTNEED) but stays mapped
/// until <see cref="Dispose"/>: a thread that checked the region just before removal touches
/// harmless, mapped memory; nothing ever touches unmapped host memory. Pointers from
/// <see cref="Translate(GuestAddress)"/> stay valid until Dispose for the same reason. Disposing while other threads
/// still access the memory is a caller bug.</para>
/// <example><code>
/// using var memory = new GuestMemory();
/// memory.AddRegion(GuestRegion.Flash("Flash", 0x0800_0000, 128 * 1024));
/// memory.AddRegion(GuestRegion.Ram("SRAM", 0x2000_0000, 20 * 1024));
/// memory.Write(new GuestAddress(0x2000_0000), "Hello IoT!"u8);
/// uint word = memory.ReadUInt32(new GuestAddress(0x2000_0000));
/// nint host = memory.Translate(new GuestAddress(0x2000_0000));
/// </code></example>
/// </remarks>
public sealed unsafe class GuestMemory : IDisposable
{
    private const int PageShift = 12;
    private const ulong PageSize = 1UL << PageShift;
    private const ulong PageMask = PageSize - 1;

    private readonly object _lock = new();
    private readonly IBackingProvider _provider;
    private readonly List<HostBacking> _retired = [];
    private readonly ulong _maxAddress;
    private readonly bool _bigEndian;
    private WriteWitness? _witness;

    private const int HintShift = 20;       // region-table mode: one cache hint per 1 MiB granule…
    private const int HintCount = 4096;     // …hashed into 4096 entries (32 KiB of references)

    private nint _flatBase;          // host address of guest 0, or 0 in region-table mode
    // Flat mode: a byte per 4 KiB page of the first 4 GiB holding the RegionSlot bits (read, write,
    // execute, host) of the region that covers the page whole, 0 elsewhere. One byte for all kinds keeps
    // an accessor that both reads and writes at one pointer (one register); 4 GiB whatever the width, so
    // the fast path tests "below 4 GiB" instead of the space's end.
    private const ulong PageBitsLength = (1UL << 32) >> PageShift;
    private byte* _pageBits;
    private readonly byte[]? _pageBitsArray; // its pinned storage: lives as long as the last accessor that points into it
    private HostBacking? _reservation;
    private readonly RegionSlot[] _hints; // region-table mode: last region hit per granule; any entry is only a guess
    private volatile RegionTable _table = RegionTable.Empty;
    private volatile GranuleEntry[] _granules = GranuleTable.Empty; // region-table mode: whole-granule translations
    private bool _disposed;

    /// <summary>Creates an empty memory; add regions with <see cref="AddRegion"/>.</summary>
    public GuestMemory(GuestMemoryOptions? options = null)
    {
        options ??= new GuestMemoryOptions();
        if (options.AddressWidth is < 8 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Address width {options.AddressWidth} is not between 8 and 64 bits.");
        }
        AddressWidth = options.AddressWidth;
        ByteOrder = options.ByteOrder;
        Space = options.Space;
        _provider = options.BackingProvider;
        _bigEndian = options.ByteOrder == ByteOrder.BigEndian;
        _maxAddress = AddressWidth == 64 ? ulong.MaxValue : (1UL << AddressWidth) - 1;
        if (AddressWidth <= 32 && !options.ForceRegionTable)
        {
            ulong spaceBytes = Math.Max(_maxAddress + 1, PageSize);
            _reservation = _provider.Reserve(spaceBytes);
            _flatBase = _reservation.Pointer;
            // Pinned managed memory rather than native: an accessor keeps a pointer into it, and Dispose only
            // clears it, so an accessor used after Dispose faults instead of reading freed memory.
            _pageBitsArray = GC.AllocateArray<byte>((int)PageBitsLength, pinned: true);
            _pageBits = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_pageBitsArray));
        }

        // Allocated in both modes: after Dispose a flat memory takes the region-table path (and faults cleanly).
        _hints = new RegionSlot[HintCount];
        Array.Fill(_hints, RegionSlot.Empty);
    }

    /// <summary>Creates a memory with the given regions.</summary>
    public static GuestMemory Create(IEnumerable<GuestRegion> regions, GuestMemoryOptions? options = null)
    {
        var memory = new GuestMemory(options);
        try
        {
            memory.AddRegions(regions);
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Address width in bits.</summary>
    public int AddressWidth { get; }

    /// <summary>The guest's byte order, used by the typed accessors.</summary>
    public ByteOrder ByteOrder { get; }

    /// <summary>The address space id regions must carry.</summary>
    public int Space { get; }

    /// <summary>The highest address of the space.</summary>
    public GuestAddress MaxAddress => new(_maxAddress);

    /// <summary>True when the space is one host reservation (host = base + guest).</summary>
    public bool IsFlat => _flatBase != 0;

    /// <summary>The regions, sorted by address (a snapshot).</summary>
    public IReadOnlyList<GuestRegion> Regions
    {
        get
        {
            var slots = _table.Slots;
            var regions = new GuestRegion[slots.Length];
            for (int i = 0; i < slots.Length; i++)
            {
                regions[i] = slots[i].Region;
            }
            return regions;
        }
    }

    /// <summary>Access that bypasses permissions: for loaders and debuggers (e.g. writing flash).</summary>
    public GuestMemoryDebugView Debug => new(this);

    /// <summary>The region containing <paramref name="address"/>, or null.</summary>
    public GuestRegion? FindRegion(GuestAddress address) => _table.Find(address.Value)?.Region;

    /// <summary>The region named <paramref name="name"/>, or null.</summary>
    public GuestRegion? FindRegion(string name) => _table.FindByName(name)?.Region;

    // Whether every byte of [start, start + length) lies in regions with host memory (no hole, no MMIO).
    internal bool IsHostMemory(GuestAddress start, ulong length)
    {
        ulong at = start.Value, last = at + (length - 1);
        if (length == 0 || last < at)
        {
            return length == 0;   // nothing to read, or a range past the top of the address space
        }
        while (FindRegion(new GuestAddress(at)) is { HasHostMemory: true } region)
        {
            if (region.Last.Value >= last)
            {
                return true;
            }
            at = region.Last.Value + 1;
        }
        return false;
    }

    // ------------------------------------------------------------------ regions

    /// <summary>
    /// Adds a region and gives it host memory. Rejects a region of another space, past the end of the
    /// space, with a duplicate name, or overlapping an existing one (naming both and the overlap).
    /// </summary>
    public void AddRegion(GuestRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        AddRegions([region]);
    }

    /// <summary>
    /// Adds the regions in order as <see cref="AddRegion"/> does each, building the translation table once
    /// at the end rather than once per region (a device of 64-bit addresses with a few dozen regions was
    /// spending most of its creation time rebuilding it). When one is rejected, those before it stay.
    /// </summary>
    public void AddRegions(IEnumerable<GuestRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // The table is built once at the end too, and the checks against the regions added so far look them up (names in a
            // set, starts in order) rather than rebuilding the table per region: tens of thousands of regions took minutes.
            var table = _table;
            var names = new HashSet<string>(table.Slots.Select(s => s.Region.Name), StringComparer.Ordinal);
            var added = new SortedList<ulong, RegionSlot>();
            try
            {
                foreach (var region in regions)
                {
                    ArgumentNullException.ThrowIfNull(region, nameof(regions));
                    CheckPlace(region);
                    if (!names.Add(region.Name))
                    {
                        var twin = table.FindByName(region.Name) ?? added.Values.First(s => s.Region.Name == region.Name);
                        throw new ArgumentException($"Region name '{region.Name}' is already used by {twin.Region}.", nameof(region));
                    }
                    if ((table.FirstOverlapping(region.Start.Value, region.Last.Value) ?? LastStartingBy(added, region.Last.Value)) is { } existing
                        && existing.Start + (existing.Length - 1) >= region.Start.Value)
                    {
                        throw new RegionOverlapException(region, existing.Region);
                    }
                    added.Add(region.Start.Value, NewRegionSlot(region));
                }
            }
            finally
            {
                if (added.Count > 0)
                {
                    // Memory first (above), then the table, then the fast-path bits: a reader never sees a region before its memory.
                    foreach (var slot in added.Values.Where(s => _witness is not null && s.Host != 0))
                    {
                        slot.FastBits |= 1 << RegionSlot.WitnessBit;   // before any reader can find the slot
                    }
                    _table = table.WithAll(added.Values);
                    LayoutVersion++;
                    foreach (var slot in added.Values)
                    {
                        SetPageBits(slot, slot.FastBits);
                    }
                    // Until now accesses to the new regions took the region table, which now has them.
                    PublishGranules();
                }
            }
        }
    }

    // Of regions sorted by start that do not overlap, the one starting last at or before `address`: the only one that can reach it.
    private static RegionSlot? LastStartingBy(SortedList<ulong, RegionSlot> slots, ulong address)
    {
        var starts = slots.Keys;
        int low = 0, high = starts.Count - 1, found = -1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (starts[middle] <= address)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found < 0 ? null : slots.Values[found];
    }

    // The region belongs to this memory's address space and fits in its width.
    private void CheckPlace(GuestRegion region)
    {
        if (region.Space != Space)
        {
            throw new ArgumentException($"Region {region} belongs to address space {region.Space}, but this memory is space {Space}.", nameof(region));
        }
        if (region.Last.Value > _maxAddress)
        {
            throw new ArgumentOutOfRangeException(nameof(region), $"Region {region} ends past the end of the {AddressWidth}-bit address space ({MaxAddress}).");
        }
    }

    private RegionSlot NewRegionSlot(GuestRegion region)
    {
        try
        {
            return NewSlot(region);
        }
        catch (Native.NativeMemoryException e)
        {
            // The host's refusal, said of the region that asked (a 256 TiB region's mmap failure named only the call).
            throw new Native.NativeMemoryException($"Region {region}: the host could not give it {region.Size:N0} bytes of memory: {e.Message}", e.Errno);
        }
    }

    // The region's slot, with its host memory reserved and committed.
    private RegionSlot NewSlot(GuestRegion region)
    {
        if (!region.HasHostMemory)
        {
            return new RegionSlot(region, 0, null);
        }
        if (_reservation is not null)
        {
            _reservation.Commit(region.Start.Value, region.Size);
            return new RegionSlot(region, _flatBase + (nint)region.Start.Value, null);
        }
        HostBacking backing = _provider.Reserve(region.Size);
        try
        {
            backing.Commit(0, region.Size);
        }
        catch
        {
            backing.Dispose();
            throw;
        }
        return new RegionSlot(region, backing.Pointer, backing);
    }

    /// <summary>
    /// Removes the region named <paramref name="name"/>; its contents are dropped. Returns false when
    /// there is no such region. Safe while other threads access memory (see the concurrency model).
    /// </summary>
    public bool RemoveRegion(string name)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var table = _table;
            var slot = table.FindByName(name);
            if (slot is null)
            {
                return false;
            }
            SetPageBits(slot, 0);
            Volatile.Write(ref slot.FastBits, (byte)0);
            _table = table.Without(slot);
            LayoutVersion++;
            PublishGranules();
            for (int i = 0; i < _hints.Length; i++)
            {
                if (ReferenceEquals(_hints[i], slot))
                {
                    _hints[i] = RegionSlot.Empty; // not needed for safety (its bits are 0), only to let it be collected
                }
            }

            // Withdrawn; now drop the contents but keep the host range mapped for racing readers.
            if (slot.Backing is not null)
            {
                slot.Backing.Discard(0, slot.Backing.Length);
                _retired.Add(slot.Backing);
            }
            else if (slot.Host != 0 && _reservation is not null)
            {
                _reservation.Discard(slot.Start, slot.Length);
                ClearPartialPages(slot);
            }
            return true;
        }
    }

    // Region-table mode: rebuilds the granule table from the (just published) region table. Flat mode
    // has its page bits instead.
    private void PublishGranules()
    {
        if (_reservation is null)
        {
            _granules = GranuleTable.Build(_table.Slots);
        }
    }

    /// <summary>Host memory of this space that is resident (touched), in bytes.</summary>
    public ulong ResidentBytes()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_reservation is not null)
            {
                return _reservation.ResidentBytes();
            }
            ulong total = 0;
            foreach (var slot in _table.Slots)
            {
                total += slot.Backing?.ResidentBytes() ?? 0;
            }
            return total;
        }
    }

    /// <summary>Unmaps all host memory. Pointers and spans obtained earlier become invalid.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            var slots = _table.Slots;
            _table = RegionTable.Empty;
            _granules = GranuleTable.Empty;
            Array.Fill(_hints, RegionSlot.Empty);
            _flatBase = 0;
            if (_pageBits != null)
            {
                // Accessors still point here; with no bit set they take the slow path, which faults. Cleared
                // before the host memory goes, so an accessor never passes the check for unmapped memory.
                Array.Clear(_pageBitsArray!);
                _pageBits = null;
            }
            foreach (var slot in slots)
            {
                slot.FastBits = 0;
                slot.Backing?.Dispose();
            }
            foreach (var backing in _retired)
            {
                backing.Dispose();
            }
            _retired.Clear();
            _reservation?.Dispose();
            _reservation = null;
        }
    }

    // ------------------------------------------------------------------ translation

    /// <summary>The host address of guest <paramref name="address"/>; throws if unmapped or MMIO.</summary>
    public nint Translate(GuestAddress address) => Translate(address, 1);

    /// <summary>
    /// The host address of guest <paramref name="address"/>, checking that <paramref name="size"/>
    /// bytes from there lie in one host-backed region.
    /// </summary>
    public nint Translate(GuestAddress address, ulong size)
    {
        var slot = ResolveHost(address, size, AccessKind.Read);
        nint host = slot.Host + (nint)(address.Value - slot.Start);
        _witness?.Written(host, Math.Max(size, 1));   // the pointer may be written through
        return host;
    }

    /// <summary>Like <see cref="Translate(GuestAddress)"/>, returning false instead of throwing.</summary>
    public bool TryTranslate(GuestAddress address, out nint host)
    {
        if (!TryFindHost(address, out host))
        {
            return false;
        }
        _witness?.Written(host, 1);   // the pointer may be written through
        return true;
    }

    /// <summary>The host address of guest <paramref name="address"/> for looking at the layout: not reported to a <see cref="WriteWitness"/>, so never written through.</summary>
    internal bool TryFindHost(GuestAddress address, out nint host)
    {
        var slot = _table.Find(address.Value);
        if (slot is null || slot.Host == 0)
        {
            host = 0;
            return false;
        }
        host = slot.Host + (nint)(address.Value - slot.Start);
        return true;
    }

    /// <summary>
    /// The host memory behind [<paramref name="address"/>, +<paramref name="length"/>) as a span, which
    /// must lie in one host-backed region. Host-side access: permissions are not checked.
    /// </summary>
    public Span<byte> GetSpan(GuestAddress address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return [];
        }
        var slot = ResolveHost(address, (ulong)length, AccessKind.Read);
        return Handed(slot.Host + (nint)(address.Value - slot.Start), length);
    }

    /// <summary>
    /// The host memory behind [<paramref name="address"/>, +<paramref name="length"/>) as a span, after
    /// checking that the guest may make <paramref name="access"/> there (the same checks and exceptions as
    /// <see cref="Read"/>, <see cref="Write"/> and <see cref="Fetch"/>) and that it lies in one host-backed
    /// region. For repeated access to one buffer: check once, then index the span.
    /// </summary>
    public Span<byte> GetSpan(GuestAddress address, int length, AccessKind access)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return [];
        }
        Validate(_table, address.Value, (ulong)length, access, check: true, throwOnFault: true);
        var slot = ResolveHost(address, (ulong)length, access);
        return Handed(slot.Host + (nint)(address.Value - slot.Start), length);
    }

    // A span handed out may be written through: the witness counts it as written.
    private Span<byte> Handed(nint host, int length)
    {
        _witness?.Written(host, (ulong)length);
        return new Span<byte>((void*)host, length);
    }

    // ------------------------------------------------------------------ bulk access

    /// <summary>Reads guest memory into <paramref name="destination"/>; may span adjacent regions. Checks read permission.</summary>
    public void Read(GuestAddress address, Span<byte> destination) => ReadCore(address.Value, destination, AccessKind.Read, check: true);

    /// <summary>Writes <paramref name="source"/> to guest memory; may span adjacent regions. Checks write permission.
    /// The whole range is checked first, so a failing write changes nothing.</summary>
    public void Write(GuestAddress address, ReadOnlySpan<byte> source) => WriteCore(address.Value, source, check: true);

    /// <summary>Reads instruction bytes: like <see cref="Read"/> but checks execute permission.</summary>
    public void Fetch(GuestAddress address, Span<byte> destination) => ReadCore(address.Value, destination, AccessKind.Execute, check: true);

    /// <summary>Checks an access of <paramref name="size"/> bytes without making it; <see cref="GuestFault.None"/> if it would succeed.</summary>
    public GuestFault Check(GuestAddress address, ulong size, AccessKind access) =>
        Validate(_table, address.Value, size, access, check: true, throwOnFault: false);

    // ------------------------------------------------------------------ typed access (guest byte order)

    /// <summary>Reads a byte.</summary>
    public byte ReadByte(GuestAddress address) => ReadScalar<byte>(address.Value, check: true);

    /// <summary>Reads a 16-bit value in the guest's byte order.</summary>
    public ushort ReadUInt16(GuestAddress address) => Order(ReadScalar<ushort>(address.Value, check: true));

    /// <summary>Reads a 32-bit value in the guest's byte order.</summary>
    public uint ReadUInt32(GuestAddress address) => Order(ReadScalar<uint>(address.Value, check: true));

    /// <summary>Reads a 64-bit value in the guest's byte order.</summary>
    public ulong ReadUInt64(GuestAddress address) => Order(ReadScalar<ulong>(address.Value, check: true));

    /// <summary>Writes a byte.</summary>
    public void WriteByte(GuestAddress address, byte value) => WriteScalar(address.Value, value, check: true);

    /// <summary>Writes a 16-bit value in the guest's byte order.</summary>
    public void WriteUInt16(GuestAddress address, ushort value) => WriteScalar(address.Value, Order(value), check: true);

    /// <summary>Writes a 32-bit value in the guest's byte order.</summary>
    public void WriteUInt32(GuestAddress address, uint value) => WriteScalar(address.Value, Order(value), check: true);

    /// <summary>Writes a 64-bit value in the guest's byte order.</summary>
    public void WriteUInt64(GuestAddress address, ulong value) => WriteScalar(address.Value, Order(value), check: true);

    /// <summary>Reads an unmanaged value as raw bytes (host order, no byte swapping): for structs laid out like the guest's.</summary>
    public T Read<T>(GuestAddress address) where T : unmanaged => ReadScalar<T>(address.Value, check: true);

    /// <summary>Writes an unmanaged value as raw bytes (host order, no byte swapping).</summary>
    public void Write<T>(GuestAddress address, T value) where T : unmanaged => WriteScalar(address.Value, value, check: true);

    /// <summary>Reads an integer in the given byte order.</summary>
    public T Read<T>(GuestAddress address, ByteOrder order) where T : unmanaged, IBinaryInteger<T> =>
        SwapIf(ReadScalar<T>(address.Value, check: true), order == ByteOrder.BigEndian);

    /// <summary>Writes an integer in the given byte order.</summary>
    public void Write<T>(GuestAddress address, T value, ByteOrder order) where T : unmanaged, IBinaryInteger<T> =>
        WriteScalar(address.Value, SwapIf(value, order == ByteOrder.BigEndian), check: true);

    /// <summary>Reads a 32-bit value, returning false (and no exception) if the access faults.</summary>
    public bool TryReadUInt32(GuestAddress address, out uint value)
    {
        byte* p = FastPointer(address.Value, 4, RegionSlot.ReadBit, write: false);
        if (p != null)
        {
            value = Order(Unsafe.ReadUnaligned<uint>(p));
            return true;
        }
        Span<byte> bytes = stackalloc byte[4];
        if (Validate(_table, address.Value, 4, AccessKind.Read, check: true, throwOnFault: false) != GuestFault.None)
        {
            value = 0;
            return false;
        }
        ReadCore(address.Value, bytes, AccessKind.Read, check: true);
        value = Order(MemoryMarshal.Read<uint>(bytes));
        return true;
    }

    // ------------------------------------------------------------------ atomics

    /// <summary>Atomically replaces the aligned 32-bit word with <paramref name="value"/> if it equals <paramref name="comparand"/>; returns the old value.</summary>
    public uint CompareExchangeUInt32(GuestAddress address, uint value, uint comparand)
    {
        uint* p = (uint*)ResolveAtomic(address, 4);
        return Order(Interlocked.CompareExchange(ref *p, Order(value), Order(comparand)));
    }

    /// <summary>Atomically replaces the aligned 64-bit word with <paramref name="value"/> if it equals <paramref name="comparand"/>; returns the old value.</summary>
    public ulong CompareExchangeUInt64(GuestAddress address, ulong value, ulong comparand)
    {
        ulong* p = (ulong*)ResolveAtomic(address, 8);
        return Order(Interlocked.CompareExchange(ref *p, Order(value), Order(comparand)));
    }

    /// <summary>Atomically adds <paramref name="delta"/> to the aligned 32-bit word; returns the new value.</summary>
    public uint AddUInt32(GuestAddress address, uint delta)
    {
        uint* p = (uint*)ResolveAtomic(address, 4);
        if (!_bigEndian)
        {
            return Interlocked.Add(ref *p, delta);
        }
        while (true)
        {
            uint old = Volatile.Read(ref *p);
            uint updated = Order(Order(old) + delta);
            if (Interlocked.CompareExchange(ref *p, updated, old) == old)
            {
                return Order(updated);
            }
        }
    }

    /// <summary>Atomically adds <paramref name="delta"/> to the aligned 64-bit word; returns the new value.</summary>
    public ulong AddUInt64(GuestAddress address, ulong delta)
    {
        ulong* p = (ulong*)ResolveAtomic(address, 8);
        if (!_bigEndian)
        {
            return Interlocked.Add(ref *p, delta);
        }
        while (true)
        {
            ulong old = Volatile.Read(ref *p);
            ulong updated = Order(Order(old) + delta);
            if (Interlocked.CompareExchange(ref *p, updated, old) == old)
            {
                return Order(updated);
            }
        }
    }

    // ------------------------------------------------------------------ hot path for callers that keep an accessor

    /// <summary>
    /// A value for tight loops of checked scalar accesses: keep it in a local (the JIT keeps its fields in
    /// registers) and call its typed reads and writes. Same checks and exceptions as this memory's own
    /// methods; it sees region changes and <see cref="Dispose"/> at once.
    /// </summary>
    public GuestMemoryAccessor GetAccessor() => new(this);

    internal ulong* FlatBaseForAccessor => (ulong*)_flatBase;

    internal byte* PageBitsForAccessor => _pageBits;

    internal GranuleEntry[] GranuleEntries => _granules;

    internal bool IsDisposed => _disposed;

    /// <summary>Where writes are reported while a snapshot taken with a <see cref="WriteWitness"/> lives (see <see cref="Snapshots.GuestSnapshot"/>).</summary>
    internal WriteWitness? Witness
    {
        get => _witness;
        set
        {
            lock (_lock)
            {
                // Writes leave the fast paths (page bits, granule table, slot bits) for the slow one, which reports them:
                // without a witness the fast paths test nothing more than before.
                _witness = value;
                foreach (var slot in _table.Slots.Where(s => s.Host != 0))
                {
                    slot.FastBits = (byte)(value is null ? slot.FastBits & ~(1 << RegionSlot.WitnessBit) : slot.FastBits | 1 << RegionSlot.WitnessBit);
                    SetPageBits(slot, slot.FastBits);
                }
                PublishGranules();
            }
        }
    }

    /// <summary>Counts regions added and removed: whoever mapped the layout elsewhere (a CPU engine) sees it change.</summary>
    internal ulong LayoutVersion { get; private set; }

    /// <summary>What holds <paramref name="region"/>'s mapping now (a new one each time it is added), or null when it is not mapped.</summary>
    internal object? MappingOf(GuestRegion region) => _table.FindByName(region.Name) is { } slot && ReferenceEquals(slot.Region, region) ? slot : null;

    /// <summary>The host memory behind <paramref name="region"/> (in flat mode the one reservation of the whole space), or null.</summary>
    internal HostBacking? BackingOf(GuestRegion region) => _reservation ?? _table.FindByName(region.Name)?.Backing;

    // ------------------------------------------------------------------ internals shared with the debug view

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T ReadScalar<T>(ulong address, bool check) where T : unmanaged
    {
        byte* p = FastPointer(address, (uint)sizeof(T), check ? RegionSlot.ReadBit : RegionSlot.HostBit, write: false);
        return p != null ? Unsafe.ReadUnaligned<T>(p) : ReadScalarSlow<T>(address, check);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteScalar<T>(ulong address, T value, bool check) where T : unmanaged
    {
        byte* p = FastPointer(address, (uint)sizeof(T), check ? RegionSlot.WriteBit : RegionSlot.HostBit, write: true);
        if (p != null)
        {
            Unsafe.WriteUnaligned(p, value);
            return;
        }
        WriteScalarSlow(address, value, check);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T Order<T>(T value) where T : unmanaged => _bigEndian ? Swap(value) : value;

    internal void ReadCore(ulong address, Span<byte> destination, AccessKind access, bool check)
    {
        if (destination.IsEmpty)
        {
            return;
        }
        var table = _table;
        Validate(table, address, (ulong)destination.Length, access, check, throwOnFault: true);
        ulong a = address;
        int done = 0;
        while (done < destination.Length)
        {
            RegionSlot slot = table.Find(a)!; // validated above
            ulong offset = a - slot.Start;
            int n = (int)Math.Min((ulong)(destination.Length - done), slot.Length - offset);
            Span<byte> piece = destination.Slice(done, n);
            if (slot.Host != 0)
            {
                new ReadOnlySpan<byte>((byte*)slot.Host + offset, n).CopyTo(piece);
            }
            else
            {
                MmioRead(slot.Region.Handler!, offset, piece);
            }
            done += n;
            a = unchecked(a + (ulong)n); // may reach 2^64 only when done
        }
    }

    internal void WriteCore(ulong address, ReadOnlySpan<byte> source, bool check)
    {
        if (source.IsEmpty)
        {
            return;
        }
        var table = _table;
        Validate(table, address, (ulong)source.Length, AccessKind.Write, check, throwOnFault: true);
        ulong a = address;
        int done = 0;
        while (done < source.Length)
        {
            RegionSlot slot = table.Find(a)!;
            ulong offset = a - slot.Start;
            int n = (int)Math.Min((ulong)(source.Length - done), slot.Length - offset);
            ReadOnlySpan<byte> piece = source.Slice(done, n);
            if (slot.Host != 0)
            {
                _witness?.Written(slot.Host + (nint)offset, (ulong)n);
                piece.CopyTo(new Span<byte>((byte*)slot.Host + offset, n));
            }
            else
            {
                MmioWrite(slot.Region.Handler!, offset, piece);
            }
            done += n;
            a = unchecked(a + (ulong)n);
        }
    }

    // ------------------------------------------------------------------ fast path

    // bit is a RegionSlot.*Bit index: 0 read, 1 write, 2 execute, 3 host memory (the debug path). A write is let
    // through only where no witness is to hear of it (the slow path reports it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* FastPointer(ulong address, uint size, int bit, bool write)
    {
        nint flat = _flatBase;
        if (flat != 0)
        {
            // Below 4 GiB and inside one page (one test: the page bits cover 4 GiB and have none past the
            // space's end), and the page's bit allows it: host = base + guest. (A debug write has a bit of its own.)
            int pageBit = write && bit == RegionSlot.HostBit ? PageHostWriteBit : bit;
            return size <= PageSize && (address & (~0UL << 32 | PageMask)) <= PageSize - size && ((_pageBits[address >> PageShift] >> pageBit) & 1) != 0
                ? (byte*)flat + address
                : null;
        }
        int mask = write ? 1 << bit | 1 << RegionSlot.WitnessBit : 1 << bit;
        if (bit is RegionSlot.ReadBit or RegionSlot.WriteBit)
        {
            byte* host = GranulePointer(_granules, address, size, bit);
            if (host != null)
            {
                return host;
            }
        }
        RegionSlot slot = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_hints), (nint)((address >> HintShift) & (HintCount - 1)));
        ulong offset = address - slot.Start;
        if (offset < slot.Length && slot.Length - offset >= size && (slot.FastBits & mask) == 1 << bit)
        {
            return (byte*)slot.Host + offset;
        }
        return null;
    }

    // Region-table mode: the host pointer when the granule table's entry for the address lets a read or
    // write of `size` bytes through (one bounds compare that includes the permission), else null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte* GranulePointer(GranuleEntry[] table, ulong address, uint size, int bit)
    {
        ref GranuleEntry entry = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), GranuleTable.Index(address >> GranuleTable.Shift));
        ulong limit = bit == RegionSlot.ReadBit ? entry.ReadLimit : entry.WriteLimit;
        return size <= GranuleTable.MaxAccess && address - entry.Start < limit ? (byte*)unchecked(address + entry.Delta) : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    // Finds the region of an access (last-hit hint per 1 MiB granule, else the table) and returns its host
    // pointer when the access may use it; `slot` is the region whole-covering the access, or null.
    private byte* SlowPointer(ulong address, uint size, int bit, out RegionSlot? slot)
    {
        ref RegionSlot hint = ref _hints[(int)((address >> HintShift) & (HintCount - 1))];
        slot = hint;
        if (address - slot.Start >= slot.Length)
        {
            slot = _table.Find(address);
            if (slot is null)
            {
                return null;
            }
            hint = slot;
        }
        if (slot.Length < size || address - slot.Start > slot.Length - size)
        {
            slot = null;
            return null;
        }
        return ((slot.FastBits >> bit) & 1) != 0 ? (byte*)slot.Host + (address - slot.Start) : null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal T ReadScalarSlow<T>(ulong address, bool check) where T : unmanaged
    {
        byte* p = SlowPointer(address, (uint)sizeof(T), check ? RegionSlot.ReadBit : RegionSlot.HostBit, out var slot);
        if (p != null)
        {
            return Unsafe.ReadUnaligned<T>(p);
        }
        if (IsDirectMmio(slot, address, sizeof(T), check ? Permissions.Read : Permissions.None))
        {
            // One naturally aligned access inside one handler's region: no splitting, no byte loops.
            return FromNumber<T>(slot!.Region.Handler!.Read(address - slot.Start, sizeof(T)));
        }
        T value = default;
        ReadCore(address, new Span<byte>(&value, sizeof(T)), AccessKind.Read, check);
        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WriteScalarSlow<T>(ulong address, T value, bool check) where T : unmanaged
    {
        byte* p = SlowPointer(address, (uint)sizeof(T), check ? RegionSlot.WriteBit : RegionSlot.HostBit, out var slot);
        if (p != null)
        {
            _witness?.Written((nint)p, (ulong)sizeof(T));
            Unsafe.WriteUnaligned(p, value);
            return;
        }
        if (IsDirectMmio(slot, address, sizeof(T), check ? Permissions.Write : Permissions.None))
        {
            slot!.Region.Handler!.Write(address - slot.Start, sizeof(T), ToNumber(value));
            return;
        }
        WriteCore(address, new ReadOnlySpan<byte>(&value, sizeof(T)), check);
    }

    // Whether a naturally aligned access of 1, 2, 4 or 8 bytes inside `slot` goes straight to its handler (the guest
    // may make it: `needed` is None on the debug path). Anything else (a 12-byte struct too) takes the general,
    // validating path, which splits it into accesses a handler takes. A removed region's bits are 0, so a stale hint
    // never reaches a retired handler.
    private static bool IsDirectMmio(RegionSlot? slot, ulong address, int size, Permissions needed) =>
        size is 1 or 2 or 4 or 8 && slot is not null && ((Volatile.Read(ref slot.FastBits) >> RegionSlot.MmioBit) & 1) != 0
        && (address & (ulong)(size - 1)) == 0 && (slot.Region.Permissions & needed) == needed;

    // A handler's number as the bytes of T in guest memory order (and back): little-endian guests store the
    // number's low byte first, as the host does; big-endian guests the other way round.
    private T FromNumber<T>(ulong number) where T : unmanaged
    {
        T value = default;
        switch (sizeof(T))
        {
            case 1: Unsafe.As<T, byte>(ref value) = (byte)number; break;
            case 2: Unsafe.As<T, ushort>(ref value) = (ushort)number; break;
            case 4: Unsafe.As<T, uint>(ref value) = (uint)number; break;
            default: Unsafe.As<T, ulong>(ref value) = number; break;
        }
        return _bigEndian ? Swap(value) : value;
    }

    private ulong ToNumber<T>(T value) where T : unmanaged
    {
        T ordered = _bigEndian ? Swap(value) : value;
        return sizeof(T) switch
        {
            1 => Unsafe.As<T, byte>(ref ordered),
            2 => Unsafe.As<T, ushort>(ref ordered),
            4 => Unsafe.As<T, uint>(ref ordered),
            _ => Unsafe.As<T, ulong>(ref ordered),
        };
    }

    // ------------------------------------------------------------------ checks

    private GuestFault Validate(RegionTable table, ulong address, ulong size, AccessKind access, bool check, bool throwOnFault)
    {
        if (size == 0)
        {
            return GuestFault.None;
        }
        var at = new GuestAddress(address);
        if (address > _maxAddress)
        {
            return throwOnFault ? throw Unmapped(access, at, size) : GuestFault.Unmapped;
        }
        Permissions needed = access switch
        {
            AccessKind.Read => Permissions.Read,
            AccessKind.Write => Permissions.Write,
            _ => Permissions.Execute,
        };
        ulong a = address;
        ulong remaining = size;
        RegionSlot? previous = null;
        while (true)
        {
            var slot = table.Find(a);
            if (slot is null)
            {
                if (!throwOnFault)
                {
                    return previous is null ? GuestFault.Unmapped : GuestFault.CrossesHole;
                }
                throw previous is null
                    ? Unmapped(access, at, size)
                    : new GuestHoleException(access, at, size, new GuestAddress(a), previous.Region);
            }
            if (check && (slot.Region.Permissions & needed) == 0)
            {
                return throwOnFault ? throw new GuestPermissionException(access, at, size, slot.Region) : GuestFault.PermissionDenied;
            }
            if (slot.Host == 0 && slot.Region.Handler is null)
            {
                return throwOnFault
                    ? throw new GuestMemoryException(GuestFault.NoBacking, access, at, size, slot.Region.Name,
                        $"{GuestMemoryException.Describe(access, at, size)}: MMIO region {slot.Region} has no handler.")
                    : GuestFault.NoBacking;
            }
            ulong available = slot.Length - (a - slot.Start);
            if (available >= remaining)
            {
                return GuestFault.None;
            }
            if (slot.Start + (slot.Length - 1) == _maxAddress)
            {
                return throwOnFault
                    ? throw new GuestMemoryException(GuestFault.CrossesHole, access, at, size, slot.Region.Name,
                        $"{GuestMemoryException.Describe(access, at, size)} runs past the end of the {AddressWidth}-bit address space after region {slot.Region}.")
                    : GuestFault.CrossesHole;
            }
            remaining -= available;
            a += available; // below the space's end, checked just above
            previous = slot;
        }
    }

    // Nothing is mapped once the memory is disposed: an access then says that, not which address missed.
    private GuestUnmappedException Unmapped(AccessKind access, GuestAddress at, ulong size) =>
        _disposed ? throw new ObjectDisposedException(nameof(GuestMemory), "The guest memory was disposed.") : new GuestUnmappedException(access, at, size);

    private RegionSlot ResolveHost(GuestAddress address, ulong size, AccessKind access)
    {
        var slot = _table.Find(address.Value);
        if (slot is null)
        {
            throw Unmapped(access, address, size);
        }
        if (slot.Host == 0)
        {
            throw new GuestMemoryException(GuestFault.NoBacking, access, address, size, slot.Region.Name,
                $"{GuestMemoryException.Describe(access, address, size)}: region {slot.Region} is MMIO and has no host memory.");
        }
        if (size > slot.Length - (address.Value - slot.Start))
        {
            // One host pointer covers one region only, even where the next region follows directly.
            throw new GuestMemoryException(GuestFault.CrossesHole, access, address, size, slot.Region.Name,
                $"{GuestMemoryException.Describe(access, address, size)} runs past the end of region {slot.Region}; host memory is contiguous only within one region.");
        }
        return slot;
    }

    private nint ResolveAtomic(GuestAddress address, int size)
    {
        if ((address.Value & (ulong)(size - 1)) != 0)
        {
            throw new GuestMemoryException(GuestFault.Misaligned, AccessKind.Write, address, (ulong)size, FindRegion(address)?.Name,
                $"Atomic {size}-byte access at {address} is not {size}-byte aligned.");
        }
        var table = _table;
        Validate(table, address.Value, (ulong)size, AccessKind.Read, check: true, throwOnFault: true);
        Validate(table, address.Value, (ulong)size, AccessKind.Write, check: true, throwOnFault: true);
        var slot = ResolveHost(address, (ulong)size, AccessKind.Write);
        nint host = slot.Host + (nint)(address.Value - slot.Start);
        _witness?.Written(host, (ulong)size);
        return host;
    }

    // ------------------------------------------------------------------ MMIO

    private void MmioRead(IMmioHandler handler, ulong offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int size = PieceSize(offset + (ulong)done, destination.Length - done);
            ulong value = handler.Read(offset + (ulong)done, size);
            for (int i = 0; i < size; i++)
            {
                int shift = 8 * (_bigEndian ? size - 1 - i : i);
                destination[done + i] = (byte)(value >> shift);
            }
            done += size;
        }
    }

    private void MmioWrite(IMmioHandler handler, ulong offset, ReadOnlySpan<byte> source)
    {
        int done = 0;
        while (done < source.Length)
        {
            int size = PieceSize(offset + (ulong)done, source.Length - done);
            ulong value = 0;
            for (int i = 0; i < size; i++)
            {
                int shift = 8 * (_bigEndian ? size - 1 - i : i);
                value |= (ulong)source[done + i] << shift;
            }
            handler.Write(offset + (ulong)done, size, value);
            done += size;
        }
    }

    // The largest naturally aligned access of 8, 4, 2 or 1 bytes that starts at offset and fits.
    private static int PieceSize(ulong offset, int remaining)
    {
        int size = 8;
        while (size > remaining || (offset & (ulong)(size - 1)) != 0)
        {
            size >>= 1;
        }
        return size;
    }

    // ------------------------------------------------------------------ page bits (flat mode)

    // The flat mode's page bits: RegionSlot's read, write, execute and host bits, and PageHostWriteBit for debug writes;
    // while a witness listens, neither write bit is set (writes take the slow path, which reports them).
    private const int PageHostWriteBit = 5;

    private void SetPageBits(RegionSlot slot, byte slotBits)
    {
        if (_pageBits == null)
        {
            return;
        }
        int bits = slotBits & 0xF;
        if ((slotBits & 1 << RegionSlot.WitnessBit) != 0)
        {
            bits &= ~(1 << RegionSlot.WriteBit);
        }
        else if ((bits & 1 << RegionSlot.HostBit) != 0)
        {
            bits |= 1 << PageHostWriteBit;
        }
        // Only pages the region covers completely; shared or partial pages stay on the slow path.
        ulong first = (slot.Start + PageMask) >> PageShift;
        ulong end = (slot.Start + (slot.Length - 1) + 1) >> PageShift; // exclusive; region end ≤ 2^32 here
        if (first >= end)
        {
            return;
        }
        new Span<byte>(_pageBits + first, checked((int)(end - first))).Fill((byte)bits);
    }

    private void ClearPartialPages(RegionSlot slot)
    {
        // Discard dropped the whole pages; zero the region's bytes in its partial edge pages.
        ulong start = slot.Start;
        ulong end = slot.Start + slot.Length;
        ulong firstFull = (start + PageMask) & ~PageMask;
        ulong lastFull = end & ~PageMask;
        if (firstFull >= lastFull)
        {
            new Span<byte>((byte*)_flatBase + start, (int)slot.Length).Clear();
            return;
        }
        new Span<byte>((byte*)_flatBase + start, (int)(firstFull - start)).Clear();
        new Span<byte>((byte*)_flatBase + lastFull, (int)(end - lastFull)).Clear();
    }

    // ------------------------------------------------------------------ byte order

    private static T SwapIf<T>(T value, bool swap) where T : unmanaged => swap ? Swap(value) : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T SwapBytes<T>(T value) where T : unmanaged => Swap(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Swap<T>(T value) where T : unmanaged
    {
        if (sizeof(T) == 2)
        {
            ushort v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, ushort>(ref value));
            return Unsafe.As<ushort, T>(ref v);
        }
        if (sizeof(T) == 4)
        {
            uint v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, uint>(ref value));
            return Unsafe.As<uint, T>(ref v);
        }
        if (sizeof(T) == 8)
        {
            ulong v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, ulong>(ref value));
            return Unsafe.As<ulong, T>(ref v);
        }
        if (sizeof(T) == 1)
        {
            return value;
        }
        var bytes = MemoryMarshal.AsBytes(new Span<T>(ref value));
        bytes.Reverse();
        return value;
    }
}
