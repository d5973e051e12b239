namespace MemGate.Devices;

/// <summary>
/// The one place that answers address-range questions about a device's map: which region holds an
/// address or a whole range (optionally of given types), what overlaps a range, which regions or
/// peripherals overlap each other, and whether a peripheral lies inside a peripheral region. Built once
/// per description on <see cref="Ranges.RangeMap{TValue}"/>, one map per address space, so every
/// lookup is O(log n) plus its answer.
/// </summary>
/// <remarks>
/// The index also serves descriptions being validated, so it tolerates overlapping regions: a lookup
/// then sees every region covering the address and picks the first in file order. Regions and
/// peripherals of size 0 are left out, and those running past 2^64 take no part in overlaps
/// (validation reports both).
/// <example><code>
/// var index = DeviceTemplates.Load("STM32F103").AddressIndex;
/// DeviceRegion? flash = index.RegionAt(0x0800_0100);
/// DeviceRegion? bus = index.MmioRegionHolding(0x4001_3800, 0x400);   // USART1's block: APB2
/// </code></example>
/// </remarks>
public sealed class DeviceAddressIndex
{
    private readonly IReadOnlyList<DeviceRegion> _regions;
    private readonly IReadOnlyList<DevicePeripheral> _peripherals;
    private readonly string _defaultSpace;
    private readonly SpanIndex _regionSpans = new();
    private readonly SpanIndex _peripheralSpans = new();

    internal DeviceAddressIndex(IReadOnlyList<DeviceRegion> regions, IReadOnlyList<DevicePeripheral> peripherals, IReadOnlyList<DeviceAddressSpace> spaces)
    {
        _regions = regions;
        _peripherals = peripherals;
        _defaultSpace = spaces.Count > 0 ? spaces[0].Name : DeviceDescription.DefaultSpace;
        RegionOverlaps = Build(_regionSpans, regions.Select(r => (r.Name, r.Space, r.Start, r.Size)).ToList());
        PeripheralOverlaps = Build(_peripheralSpans, peripherals.Select(p => (p.Name, p.Space, Start: p.Base, p.Size)).ToList());
    }

    /// <summary>
    /// Regions that overlap an earlier one, per space (spaces in file order) and by start address. Each
    /// region is reported once, against the earlier-starting region that reaches furthest.
    /// </summary>
    public IReadOnlyList<DeviceOverlap> RegionOverlaps { get; }

    /// <summary>Peripherals that overlap an earlier one, reported as <see cref="RegionOverlaps"/> are.</summary>
    public IReadOnlyList<DeviceOverlap> PeripheralOverlaps { get; }

    /// <summary>The region of <paramref name="space"/> (the first address space if null) holding <paramref name="address"/>, or null.</summary>
    public DeviceRegion? RegionAt(ulong address, string? space = null) => First(_regions, _regionSpans.Covering(space ?? _defaultSpace, address), _ => true);

    /// <summary>
    /// The region wholly holding [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>)
    /// (one byte when <paramref name="size"/> is 0), of one of <paramref name="types"/> (any type if none
    /// given), in <paramref name="space"/> (the first address space if null); null if none does.
    /// </summary>
    public DeviceRegion? RegionHolding(ulong start, ulong size, string? space = null, params DeviceRegionType[] types)
    {
        if (!TryLast(start, size, out ulong last))
        {
            return null;
        }
        return First(_regions, _regionSpans.Covering(space ?? _defaultSpace, start),
            r => r.Last >= last && (types.Length == 0 || Array.IndexOf(types, r.Type) >= 0));
    }

    /// <summary>
    /// The peripheral (mmio) region wholly holding [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>),
    /// or null: where a register model of that base and size can be attached.
    /// </summary>
    public DeviceRegion? MmioRegionHolding(ulong start, ulong size, string? space = null) => RegionHolding(start, size, space, DeviceRegionType.Mmio);

    /// <summary>Whether <paramref name="peripheral"/> lies wholly inside one mmio or registers region of its space.</summary>
    public bool IsInsidePeripheralRegion(DevicePeripheral peripheral)
    {
        ArgumentNullException.ThrowIfNull(peripheral);
        return peripheral.Size != 0 && RegionHolding(peripheral.Base, peripheral.Size, peripheral.Space, DeviceRegionType.Mmio, DeviceRegionType.Registers) is not null;
    }

    /// <summary>The regions sharing an address with [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>) (one byte when size is 0), by start address.</summary>
    public IReadOnlyList<DeviceRegion> RegionsOverlapping(ulong start, ulong size, string? space = null) =>
        Overlapping(_regions, _regionSpans, start, size, space, r => r.Start);

    /// <summary>The peripheral whose block holds <paramref name="address"/>, or null.</summary>
    public DevicePeripheral? PeripheralAt(ulong address, string? space = null) => First(_peripherals, _peripheralSpans.Covering(space ?? _defaultSpace, address), _ => true);

    /// <summary>The peripherals sharing an address with [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>), by base address.</summary>
    public IReadOnlyList<DevicePeripheral> PeripheralsOverlapping(ulong start, ulong size, string? space = null) =>
        Overlapping(_peripherals, _peripheralSpans, start, size, space, p => p.Base);

    private IReadOnlyList<T> Overlapping<T>(IReadOnlyList<T> items, SpanIndex spans, ulong start, ulong size, string? space, Func<T, ulong> startOf)
    {
        if (!TryLast(start, size, out ulong last))
        {
            last = ulong.MaxValue;   // a range past 2^64 overlaps what lies up to the top
        }
        var found = spans.Overlapping(space ?? _defaultSpace, start, last);
        found.Sort((a, b) => startOf(items[a]) != startOf(items[b]) ? startOf(items[a]).CompareTo(startOf(items[b])) : a.CompareTo(b));
        return found.ConvertAll(i => items[i]);
    }

    private static bool TryLast(ulong start, ulong size, out ulong last)
    {
        ulong span = Math.Max(size, 1) - 1;
        last = start + span;
        return span <= ulong.MaxValue - start;
    }

    // The lowest list position among the covering items that passes the filter.
    private static T? First<T>(IReadOnlyList<T> items, IReadOnlyList<int> covering, Func<T, bool> accept) where T : class
    {
        int best = -1;
        foreach (int i in covering)
        {
            if ((best < 0 || i < best) && accept(items[i]))
            {
                best = i;
            }
        }
        return best < 0 ? null : items[best];
    }

    // Adds each space's items by start address; an item overlapping earlier ones is reported against the one
    // reaching furthest (the earliest of those on a tie), which is the one a sweep over sorted starts meets.
    private static List<DeviceOverlap> Build(SpanIndex spans, List<(string Name, string Space, ulong Start, ulong Size)> items)
    {
        var overlaps = new List<DeviceOverlap>();
        var valid = Enumerable.Range(0, items.Count).Where(i => items[i].Size != 0 && items[i].Size - 1 <= ulong.MaxValue - items[i].Start);
        var order = new Dictionary<int, int>();
        foreach (var space in valid.GroupBy(i => items[i].Space, StringComparer.Ordinal))
        {
            foreach (int i in space.OrderBy(i => items[i].Start))
            {
                var (name, _, start, size) = items[i];
                ulong last = start + (size - 1);
                int widest = -1;
                foreach (int j in spans.Overlapping(space.Key, start, last))
                {
                    ulong jLast = items[j].Start + (items[j].Size - 1);
                    ulong bestLast = widest < 0 ? 0 : items[widest].Start + (items[widest].Size - 1);
                    if (widest < 0 || jLast > bestLast || (jLast == bestLast && order[j] < order[widest]))
                    {
                        widest = j;
                    }
                }
                if (widest >= 0)
                {
                    var other = items[widest];
                    overlaps.Add(new DeviceOverlap(space.Key, i, name, start, last, widest, other.Name, other.Start, other.Start + (other.Size - 1)));
                }
                order[i] = order.Count;
                spans.Add(space.Key, i, start, last);
            }
        }
        // Ranges running past 2^64 are errors of their own and take no part in overlaps, but lookups
        // still find them from their start up, as a plain scan would.
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Size != 0 && items[i].Size - 1 > ulong.MaxValue - items[i].Start)
            {
                spans.Add(items[i].Space, i, items[i].Start, ulong.MaxValue);
            }
        }
        return overlaps;
    }
}
