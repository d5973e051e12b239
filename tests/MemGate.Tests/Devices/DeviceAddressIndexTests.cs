using CsCheck;
using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

/// <summary>The address index against plain scans of the lists (the code it replaced), on random maps with overlaps, empty and wrapping items.</summary>
public sealed class DeviceAddressIndexTests
{
    private static readonly DeviceAddressSpace[] Spaces = [new("a", 64), new("b", 64)];

    private static readonly DeviceRegionType[] Types = [DeviceRegionType.Ram, DeviceRegionType.Flash, DeviceRegionType.Mmio, DeviceRegionType.Registers];

    // Small offsets near the bottom or the top of the key space, so ranges touching 2^64 - 1 and running past it occur.
    private static readonly Gen<(bool High, (int Start, int Size, int Type, bool SpaceB)[] Items)> Maps =
        Gen.Select(Gen.Bool, Gen.Select(Gen.Int[0, 40], Gen.Int[0, 12], Gen.Int[0, 3], Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))).Array[0, 14]);

    private static ulong Origin(bool high) => high ? ulong.MaxValue - 44 : 0;

    private static List<DeviceRegion> Regions(bool high, (int Start, int Size, int Type, bool SpaceB)[] items) =>
        items.Select((x, i) => new DeviceRegion($"r{i}", Origin(high) + (ulong)x.Start, (ulong)x.Size, Permissions.Read, Types[x.Type], x.SpaceB ? "b" : "a")).ToList();

    // The validator's sweep before the index: by start per space, each item against the furthest-reaching earlier one.
    private static List<(int Index, int Other)> SweepOverlaps(List<DeviceRegion> regions)
    {
        var found = new List<(int, int)>();
        var valid = regions.Select((r, i) => (r, i)).Where(x => x.r.Size != 0 && x.r.Size - 1 <= ulong.MaxValue - x.r.Start);
        foreach (var space in valid.GroupBy(x => x.r.Space))
        {
            var sorted = space.OrderBy(x => x.r.Start).ToList();
            for (int i = 1, widest = 0; i < sorted.Count; i++)
            {
                if (sorted[i].r.Start <= sorted[widest].r.Last)
                {
                    found.Add((sorted[i].i, sorted[widest].i));
                }
                if (sorted[i].r.Last > sorted[widest].r.Last)
                {
                    widest = i;
                }
            }
        }
        return found;
    }

    [Fact]
    public void Overlaps_are_the_ones_the_sweep_reported()
    {
        Maps.Sample(t =>
        {
            var regions = Regions(t.High, t.Items);
            var index = new DeviceAddressIndex(regions, [], Spaces);
            Assert.Equal(SweepOverlaps(regions), index.RegionOverlaps.Select(o => (o.Index, o.OtherIndex)));
            foreach (var o in index.RegionOverlaps)
            {
                var (r, other) = (regions[o.Index], regions[o.OtherIndex]);
                Assert.Equal((r.Name, r.Start, r.Last, r.Space, other.Name, other.Start, other.Last), (o.Name, o.Start, o.Last, o.Space, o.OtherName, o.OtherStart, o.OtherLast));
            }
        }, iter: 3000);
    }

    [Fact]
    public void Lookups_agree_with_scans_of_the_list()
    {
        Gen.Select(Maps, Gen.Int[0, 44], Gen.Int[0, 10], Gen.Bool).Sample((t, at, size, spaceB) =>
        {
            var regions = Regions(t.High, t.Items);
            var index = new DeviceAddressIndex(regions, [], Spaces);
            string space = spaceB ? "b" : "a";
            ulong start = Origin(t.High) + (ulong)at;
            bool wraps = (ulong)Math.Max(size, 1) - 1 > ulong.MaxValue - start;
            // A region holds a key when it starts at or below it and does not end before it (wrapping regions run to the top).
            ulong last = wraps ? ulong.MaxValue : start + (ulong)Math.Max(size, 1) - 1;
            bool Holds(DeviceRegion r, ulong key) => r.Size != 0 && key >= r.Start && key - r.Start < r.Size;
            var inSpace = regions.Where(r => r.Space == space).ToList();
            Assert.Equal(inSpace.FirstOrDefault(r => Holds(r, start)), index.RegionAt(start, space));
            Assert.Equal(wraps ? null : inSpace.FirstOrDefault(r => Holds(r, start) && r.Last >= last && r.Type == DeviceRegionType.Mmio),
                index.MmioRegionHolding(start, (ulong)size, space));
            Assert.Equal(wraps ? null : inSpace.FirstOrDefault(r => Holds(r, start) && r.Last >= last),
                index.RegionHolding(start, (ulong)size, space));
            if (!wraps)
            {
                var expected = inSpace.Where(r => r.Size != 0 && (r.Size - 1 <= ulong.MaxValue - r.Start ? r.Start <= last && start <= r.Last : r.Start <= last))
                    .OrderBy(r => r.Start).ToList();
                Assert.Equal(expected, index.RegionsOverlapping(start, (ulong)size, space));
            }
        }, iter: 3000);
    }

    [Fact]
    public void Peripherals_inside_mmio_agree_with_the_old_scan_on_every_template()
    {
        foreach (string name in DeviceTemplates.Names)
        {
            var device = DeviceTemplates.Load(name);
            foreach (var p in device.Peripherals)
            {
                bool scan = device.Regions.Any(r => r.Space == p.Space && r.Type is DeviceRegionType.Mmio or DeviceRegionType.Registers && p.Base >= r.Start && p.Last <= r.Last);
                Assert.Equal(scan, device.AddressIndex.IsInsidePeripheralRegion(p));
                Assert.Contains(p, device.AddressIndex.PeripheralsOverlapping(p.Base, p.Size, p.Space));
                Assert.Equal(p, device.AddressIndex.PeripheralAt(p.Last, p.Space));
            }
        }
    }

    [Fact]
    public void A_region_ending_at_the_top_of_a_64_bit_space_is_found_there()
    {
        var top = new DeviceRegion("top", ulong.MaxValue - 0xFFF, 0x1000, Permissions.Read, DeviceRegionType.Mmio, "a");
        var last = new DeviceRegion("last", ulong.MaxValue, 1, Permissions.Read, DeviceRegionType.Mmio, "a");
        var index = new DeviceAddressIndex([top, last], [], Spaces);
        Assert.Equal(top, index.RegionAt(ulong.MaxValue, "a"));
        Assert.Equal(top, index.MmioRegionHolding(ulong.MaxValue - 0xF, 0x10, "a"));
        Assert.Null(index.MmioRegionHolding(ulong.MaxValue - 0xF, 0x11, "a"));
        var overlap = Assert.Single(index.RegionOverlaps);
        Assert.Equal(("last", "top", ulong.MaxValue), (overlap.Name, overlap.OtherName, overlap.SharedLast));
    }

    [Fact]
    public void The_stm32_usart_block_lies_in_apb2()
    {
        var index = DeviceTemplates.Load("STM32F103").AddressIndex;
        Assert.Equal("APB2", index.MmioRegionHolding(0x4001_3800, 0x400)?.Name);
        Assert.Equal(DeviceRegionType.Flash, index.RegionAt(0x0800_0100)?.Type);
        Assert.Null(index.MmioRegionHolding(0x0800_0000, 4));
        Assert.Equal(DeviceRegionType.Flash, index.RegionHolding(0x0800_0000, 4, null, DeviceRegionType.Flash, DeviceRegionType.Rom)?.Type);
    }
}
