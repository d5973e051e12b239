using CsCheck;
using MemGate.Memory;

namespace MemGate.Tests.Memory;

/// <summary>
/// <see cref="GuestMemoryAccessor"/> against the checked API (itself tested against a byte model): the
/// same values, the same exception types and faults, the same memory contents, in flat and region-table
/// mode, through region removal and re-adding, and after Dispose.
/// </summary>
public class GuestMemoryAccessorTests
{
    private sealed record Layout(string Name, ulong Start, ulong Size, Permissions Permissions, RegionKind Kind);

    private static readonly Layout[] Regions32 =
    [
        new("ram0", 0x1000, 0x2000, Permissions.ReadWrite, RegionKind.Ram),
        new("ram1", 0x3000, 0x800, Permissions.ReadWrite, RegionKind.Ram),         // ends mid-page
        new("flash", 0x3800, 0x1800, Permissions.ReadExecute, RegionKind.Flash),   // adjacent, read-only
        new("tiny", 0x6010, 0x20, Permissions.ReadWrite, RegionKind.Ram),          // sub-page, after a hole
        new("short", 0x6040, 0x6, Permissions.ReadWrite, RegionKind.Ram),          // shorter than 8 bytes
        new("wo", 0x6050, 0x10, Permissions.Write, RegionKind.Ram),                // write-only
        new("mmio", 0x7000, 0x100, Permissions.ReadWrite, RegionKind.Mmio),
        new("big", 0x10_0000, 0x20_0000, Permissions.ReadWrite, RegionKind.Ram),   // whole 1 MiB granules
        new("ro", 0x30_0000, 0x10_0000, Permissions.Read, RegionKind.Flash),       // adjacent granule, read-only
        new("top", 0xFFFF_F000, 0x1000, Permissions.ReadWrite, RegionKind.Ram),    // last page of 32 bits
    ];

    private static readonly Layout[] Regions64Only =
    [
        new("far", 0x2_0000_0000, 0x1000, Permissions.ReadWrite, RegionKind.Ram),  // shares big's first granule entry
        new("end", 0xFFFF_FFFF_FFF0_0000, 0x10_0000, Permissions.ReadWrite, RegionKind.Ram), // last granule of 64 bits
    ];

    private static readonly ulong[] Interesting =
    [
        0x1000, 0x3000, 0x3800, 0x5000, 0x6010, 0x6040, 0x6050, 0x7000, 0x10_0000, 0x1F_FFFC, 0x30_0000, 0x40_0000,
        0xFFFF_F000, 0x1_0000_0000, 0x2_0000_0000, 0xFFFF_FFFF_FFF0_0000, 0xFFFF_FFFF_FFFF_FFF8,
    ];

    private static readonly Gen<(int Op, int Base, int Delta, int Size, ulong Value)> OpGen =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, Interesting.Length - 1], Gen.Int[-12, 12], Gen.Int[0, 3].Select(i => 1 << i), Gen.ULong);

    public static TheoryData<int, bool> Modes => new() { { 0, false }, { 1, false }, { 2, false }, { 0, true }, { 2, true } };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Accessor_matches_the_checked_api(int mode, bool bigEndian)
    {
        OpGen.Array[1, 80].Sample(ops =>
        {
            using var checkedMemory = Create(mode, bigEndian, out var regions);
            using var accessed = Create(mode, bigEndian, out _);
            var accessor = accessed.GetAccessor();
            bool ram0Present = true;
            foreach (var (op, baseIndex, delta, size, value) in ops)
            {
                var at = new GuestAddress(unchecked((ulong)((long)Interesting[baseIndex] + delta)));
                var order = op % 2 == 0 ? ByteOrder.LittleEndian : ByteOrder.BigEndian;
                switch (op)
                {
                    case 0 or 1 or 2 or 3:
                    {
                        var expected = Outcome(() => ReadChecked(checkedMemory, at, size, order));
                        var actual = Outcome(() => ReadAccessor(accessor, at, size, order));
                        Assert.Equal(expected, actual);
                        break;
                    }
                    case 4 or 5 or 6 or 7:
                    {
                        var expected = Outcome(() => { WriteChecked(checkedMemory, at, size, value, order); return 0; });
                        var actual = Outcome(() => { WriteAccessor(accessor, at, size, value, order); return 0; });
                        Assert.Equal(expected, actual);
                        break;
                    }
                    default:
                    {
                        // The accessor was made before the change and must see it.
                        var ram0 = regions.Single(r => r.Name == "ram0");
                        foreach (var memory in new[] { checkedMemory, accessed })
                        {
                            if (ram0Present)
                            {
                                Assert.True(memory.RemoveRegion("ram0"));
                            }
                            else
                            {
                                memory.AddRegion(ram0);
                            }
                        }
                        ram0Present = !ram0Present;
                        break;
                    }
                }
            }
            foreach (var region in checkedMemory.Regions.Where(r => r.HasHostMemory))
            {
                Assert.True(checkedMemory.GetSpan(region.Start, (int)region.Size).SequenceEqual(accessed.GetSpan(region.Start, (int)region.Size)),
                    $"contents of {region.Name} differ");
            }
        }, iter: 200);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Accessor_faults_after_dispose(int mode)
    {
        var memory = Create(mode, bigEndian: false, out _);
        var accessor = memory.GetAccessor();
        accessor.WriteUInt32LittleEndian(new GuestAddress(0x10_0000), 7);
        Assert.Equal(7u, accessor.ReadUInt32LittleEndian(new GuestAddress(0x10_0000)));
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => accessor.ReadUInt32LittleEndian(new GuestAddress(0x10_0000)));
        Assert.Throws<ObjectDisposedException>(() => accessor.WriteUInt32LittleEndian(new GuestAddress(0x10_0000), 1));
        Assert.Throws<ObjectDisposedException>(() => memory.GetAccessor());
    }

    [Fact]
    public void Typed_errors_name_the_region()
    {
        using var memory = Create(0, bigEndian: false, out _);
        var accessor = memory.GetAccessor();
        var denied = Assert.Throws<GuestPermissionException>(() => accessor.WriteUInt32LittleEndian(new GuestAddress(0x30_0000), 1));
        Assert.Equal("ro", denied.RegionName);
        Assert.Throws<GuestUnmappedException>(() => accessor.ReadByte(new GuestAddress(0x8000)));
    }

    [Fact]
    public void A_value_larger_than_a_page_is_checked_whole()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("one-page", 0x1000, 0x1000)]);
        var accessor = memory.GetAccessor();
        // Its second page is a hole: neither path may take the first page's bit as leave for both.
        Assert.Throws<GuestHoleException>(() => accessor.Read<Page2>(new GuestAddress(0x1000)));
        Assert.Throws<GuestHoleException>(() => memory.Read<Page2>(new GuestAddress(0x1000)));
    }

    // Two pages: larger than any access the fast paths take.
    private unsafe struct Page2
    {
        public fixed byte Bytes[0x2000];
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Checked_span_faults_like_check(int mode, bool bigEndian)
    {
        Gen.Select(Gen.Int[0, Interesting.Length - 1], Gen.Int[-12, 12], Gen.Int[1, 0x2000], Gen.Int[0, 2]).Sample((baseIndex, delta, length, kind) =>
        {
            using var memory = Create(mode, bigEndian, out _);
            var at = new GuestAddress(unchecked((ulong)((long)Interesting[baseIndex] + delta)));
            var access = (AccessKind)kind;
            var fault = memory.Check(at, (ulong)length, access);
            GuestFault actual;
            try
            {
                var span = memory.GetSpan(at, length, access);
                Assert.Equal(length, span.Length);
                actual = GuestFault.None;
            }
            catch (GuestMemoryException e)
            {
                actual = e.Fault;
            }
            // A checked span also needs one host-backed region: where Check allows MMIO or two adjacent
            // regions, the span refuses with NoBacking or CrossesHole; every other outcome is the same.
            if (fault == GuestFault.None && actual is GuestFault.NoBacking or GuestFault.CrossesHole)
            {
                return;
            }
            Assert.Equal(fault, actual);
        }, iter: 300);
    }

    private static GuestMemory Create(int mode, bool bigEndian, out GuestRegion[] regions)
    {
        var layout = mode == 2 ? Regions32.Concat(Regions64Only) : Regions32;
        regions = layout.Select(r => r.Kind == RegionKind.Mmio
                ? GuestRegion.Mmio(r.Name, r.Start, r.Size, new GuestMemoryTests.RecordingMmio((int)r.Size, bigEndian), r.Permissions)
                : new GuestRegion(r.Name, new GuestAddress(r.Start), r.Size, r.Permissions, r.Kind))
            .ToArray();
        return GuestMemory.Create(regions, new GuestMemoryOptions
        {
            AddressWidth = mode == 2 ? 64 : 32,
            ForceRegionTable = mode == 1,
            ByteOrder = bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian,
        });
    }

    private static ulong ReadChecked(GuestMemory memory, GuestAddress at, int size, ByteOrder order) => size switch
    {
        1 => memory.ReadByte(at),
        2 => memory.Read<ushort>(at, order),
        4 => memory.Read<uint>(at, order),
        _ => memory.Read<ulong>(at, order),
    };

    private static ulong ReadAccessor(GuestMemoryAccessor accessor, GuestAddress at, int size, ByteOrder order) => (size, order) switch
    {
        (1, _) => accessor.ReadByte(at),
        (2, ByteOrder.LittleEndian) => accessor.ReadUInt16LittleEndian(at),
        (2, _) => accessor.ReadUInt16BigEndian(at),
        (4, ByteOrder.LittleEndian) => accessor.ReadUInt32LittleEndian(at),
        (4, _) => accessor.ReadUInt32BigEndian(at),
        (_, ByteOrder.LittleEndian) => accessor.ReadUInt64LittleEndian(at),
        _ => accessor.ReadUInt64BigEndian(at),
    };

    private static void WriteChecked(GuestMemory memory, GuestAddress at, int size, ulong value, ByteOrder order)
    {
        switch (size)
        {
            case 1: memory.WriteByte(at, (byte)value); break;
            case 2: memory.Write(at, (ushort)value, order); break;
            case 4: memory.Write(at, (uint)value, order); break;
            default: memory.Write(at, value, order); break;
        }
    }

    private static void WriteAccessor(GuestMemoryAccessor accessor, GuestAddress at, int size, ulong value, ByteOrder order)
    {
        switch ((size, order))
        {
            case (1, _): accessor.WriteByte(at, (byte)value); break;
            case (2, ByteOrder.LittleEndian): accessor.WriteUInt16LittleEndian(at, (ushort)value); break;
            case (2, _): accessor.WriteUInt16BigEndian(at, (ushort)value); break;
            case (4, ByteOrder.LittleEndian): accessor.WriteUInt32LittleEndian(at, (uint)value); break;
            case (4, _): accessor.WriteUInt32BigEndian(at, (uint)value); break;
            case (_, ByteOrder.LittleEndian): accessor.WriteUInt64LittleEndian(at, value); break;
            default: accessor.WriteUInt64BigEndian(at, value); break;
        }
    }

    // The value read, or the exception's type and fault: what the two paths must agree on.
    private static (ulong Value, Type? Error, GuestFault Fault) Outcome(Func<ulong> access)
    {
        try
        {
            return (access(), null, GuestFault.None);
        }
        catch (GuestMemoryException e)
        {
            return (0, e.GetType(), e.Fault);
        }
    }
}
