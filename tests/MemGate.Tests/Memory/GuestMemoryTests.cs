using System.Buffers.Binary;
using CsCheck;
using System.Runtime.InteropServices;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Memory.Internal;

namespace MemGate.Tests.Memory;

public class GuestMemoryTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    private static GuestMemory Stm32(bool regionTable) => GuestMemory.Create(
    [
        GuestRegion.Flash("Flash", 0x0800_0000, 128 * 1024),
        GuestRegion.Ram("SRAM", 0x2000_0000, 20 * 1024),
    ], new GuestMemoryOptions { ForceRegionTable = regionTable });

    [Theory]
    [MemberData(nameof(Modes))]
    public void Seed_example_writes_reads_and_translates(bool regionTable)
    {
        using var memory = Stm32(regionTable);
        Assert.Equal(!regionTable, memory.IsFlat);
        var sram = new GuestAddress(0x2000_0000);
        memory.Write(sram, "Hello IoT!"u8);
        var data = new byte[10];
        memory.Read(sram, data);
        Assert.Equal("Hello IoT!"u8.ToArray(), data);

        nint host = memory.Translate(sram);
        unsafe
        {
            Assert.Equal((byte)'H', *(byte*)host);
            *(byte*)(host + 1) = (byte)'a';
        }
        Assert.Equal((byte)'a', memory.ReadByte(sram + 1));
        Assert.Equal("Hallo IoT!"u8.ToArray(), memory.GetSpan(sram, 10).ToArray());
    }

    [Fact]
    public void Quick_start_example_prints_what_the_readme_shows()
    {
        var output = new StringWriter();
        MemGate.Examples.QuickStartExample.Run(output);
        string text = output.ToString();
        Assert.Contains("Read: \"Hello IoT!\"", text);
        Assert.Matches(@"Guest 0x20000000 -> host 0x[0-9a-f]+", text);
        Assert.Contains("Guest write refused: Write of 4 bytes at 0x08000000 denied: region 'Flash'", text);
        Assert.Contains("Loader wrote flash: 20005000", text);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Flash_is_read_only_for_the_guest_but_writable_by_the_loader(bool regionTable)
    {
        using var memory = Stm32(regionTable);
        var flash = new GuestAddress(0x0800_0000);
        var e = Assert.Throws<GuestPermissionException>(() => memory.WriteUInt32(flash, 1));
        Assert.Equal(AccessKind.Write, e.Access);
        Assert.Equal("Flash", e.RegionName);
        Assert.Equal(flash, e.Address);
        Assert.Equal(4UL, e.Size);
        Assert.Throws<GuestPermissionException>(() => memory.Write(flash + 100, new byte[3]));
        memory.Debug.WriteUInt32(flash, 0xCAFEF00D);
        Assert.Equal(0xCAFEF00Du, memory.ReadUInt32(flash));
        var code = new byte[4];
        memory.Fetch(flash, code);
        Assert.Throws<GuestPermissionException>(() => memory.Fetch(new GuestAddress(0x2000_0000), code));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Unmapped_and_hole_crossing_accesses_fail_with_typed_errors_and_change_nothing(bool regionTable)
    {
        using var memory = Stm32(regionTable);
        var unmapped = Assert.Throws<GuestUnmappedException>(() => memory.ReadUInt32(new GuestAddress(0x3000_0000)));
        Assert.Contains("0x30000000", unmapped.Message);

        var end = new GuestAddress(0x2000_4FFC);
        memory.WriteUInt32(end, 0x11223344);
        var hole = Assert.Throws<GuestHoleException>(() => memory.Write(end, new byte[] { 9, 9, 9, 9, 9, 9 }));
        Assert.Equal(new GuestAddress(0x2000_5000), hole.Hole);
        Assert.Equal(4UL, hole.MappedBytes);
        Assert.Contains("SRAM", hole.Message);
        Assert.Equal(0x11223344u, memory.ReadUInt32(end));                       // nothing half-written
        Assert.Throws<GuestHoleException>(() => memory.ReadUInt64(end));
        Assert.False(memory.TryReadUInt32(end + 2, out _));
        Assert.True(memory.TryReadUInt32(end, out uint v) && v == 0x11223344);
        Assert.Equal(GuestFault.CrossesHole, memory.Check(end, 8, AccessKind.Read));
        Assert.Throws<GuestUnmappedException>(() => memory.Translate(new GuestAddress(0)));
        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(end, 8));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Accesses_span_adjacent_regions(bool regionTable)
    {
        using var memory = GuestMemory.Create(
        [
            GuestRegion.Ram("A", 0x1000, 0x1000),
            GuestRegion.Ram("B", 0x2000, 0x10),      // sub-page region
            GuestRegion.Ram("C", 0x2010, 0x1FF0),
        ], new GuestMemoryOptions { ForceRegionTable = regionTable });
        var data = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        memory.Write(new GuestAddress(0x1FF0), data);
        var back = new byte[64];
        memory.Read(new GuestAddress(0x1FF0), back);
        Assert.Equal(data, back);
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(12)), memory.ReadUInt64(new GuestAddress(0x1FFC)));
        memory.WriteUInt64(new GuestAddress(0x200C), 0x0102030405060708);
        Assert.Equal(0x0102030405060708UL, memory.ReadUInt64(new GuestAddress(0x200C)));
    }

    [Fact]
    public void Big_endian_memory_orders_typed_values()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0, 0x1000)], new GuestMemoryOptions { ByteOrder = ByteOrder.BigEndian });
        memory.WriteUInt32(new GuestAddress(0x10), 0x11223344);
        Assert.Equal(new byte[] { 0x11, 0x22, 0x33, 0x44 }, memory.GetSpan(new GuestAddress(0x10), 4).ToArray());
        Assert.Equal((ushort)0x1122, memory.ReadUInt16(new GuestAddress(0x10)));
        Assert.Equal(0x44332211u, memory.Read<uint>(new GuestAddress(0x10)));                       // raw bytes
        Assert.Equal(0x44332211u, memory.Read<uint>(new GuestAddress(0x10), ByteOrder.LittleEndian));
        memory.Write(new GuestAddress(0x20), 0x0102030405060708UL, ByteOrder.LittleEndian);
        Assert.Equal((byte)8, memory.ReadByte(new GuestAddress(0x20)));
        Assert.Equal(0x11223344u + 5, memory.AddUInt32(new GuestAddress(0x10), 5));
        Assert.Equal(0x11223349u, memory.CompareExchangeUInt32(new GuestAddress(0x10), 7, 0x11223349));
        Assert.Equal(7u, memory.ReadUInt32(new GuestAddress(0x10)));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Atomics_work_on_aligned_words_and_reject_the_rest(bool regionTable)
    {
        using var memory = Stm32(regionTable);
        var word = new GuestAddress(0x2000_0010);
        Assert.Equal(0u, memory.CompareExchangeUInt32(word, 5, 0));
        Assert.Equal(5u, memory.CompareExchangeUInt32(word, 9, 4));       // comparand differs: unchanged
        Assert.Equal(12u, memory.AddUInt32(word, 7));
        Assert.Equal(3UL, memory.AddUInt64(new GuestAddress(0x2000_0018), 3));
        Assert.Equal(3UL, memory.CompareExchangeUInt64(new GuestAddress(0x2000_0018), 1, 3));
        Assert.Equal(1UL, memory.ReadUInt64(new GuestAddress(0x2000_0018)));
        var e = Assert.Throws<GuestMemoryException>(() => memory.AddUInt32(word + 2, 1));
        Assert.Equal(GuestFault.Misaligned, e.Fault);
        Assert.Throws<GuestPermissionException>(() => memory.AddUInt32(new GuestAddress(0x0800_0000), 1));
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                memory.AddUInt32(word, 1);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(40_012u, memory.ReadUInt32(word));
    }

    [Fact]
    public void Overlapping_regions_are_rejected_naming_both_and_the_overlap()
    {
        using var memory = Stm32(regionTable: false);
        var e = Assert.Throws<RegionOverlapException>(() => memory.AddRegion(GuestRegion.Ram("CCM", 0x2000_4000, 0x2000)));
        Assert.Contains("'CCM'", e.Message);
        Assert.Contains("'SRAM'", e.Message);
        Assert.Contains("[0x20004000–0x20004FFF]", e.Message);
        Assert.Equal(2, memory.Regions.Count);
        Assert.Throws<ArgumentException>(() => memory.AddRegion(GuestRegion.Ram("SRAM", 0x3000_0000, 0x100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.AddRegion(GuestRegion.Ram("Top", 0xFFFF_F000, 0x2000)));
        Assert.Throws<ArgumentException>(() => memory.AddRegion(GuestRegion.Ram("Data", 0x100, 0x100, space: 1)));
        Assert.Throws<ArgumentException>(() => GuestRegion.Ram("Empty", 0x100, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestRegion.Ram("Wrap", ulong.MaxValue, 2));
    }

    [Fact]
    public void The_end_of_a_32_bit_space_does_not_wrap()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("Top", 0xFFFF_F000, 0x1000), GuestRegion.Ram("Bottom", 0, 0x1000)]);
        memory.WriteUInt32(new GuestAddress(0xFFFF_FFFC), 0xA5A5A5A5);
        Assert.Equal(0xA5A5A5A5u, memory.ReadUInt32(new GuestAddress(0xFFFF_FFFC)));
        var e = Assert.Throws<GuestMemoryException>(() => memory.ReadUInt32(new GuestAddress(0xFFFF_FFFE)));
        Assert.Equal(GuestFault.CrossesHole, e.Fault);
        Assert.Contains("end of the 32-bit address space", e.Message);
        Assert.Throws<GuestUnmappedException>(() => memory.ReadByte(new GuestAddress(0x1_0000_0000)));
        Assert.Equal(0u, memory.ReadUInt32(new GuestAddress(0)));
    }

    [Fact]
    public unsafe void Regions_added_together_get_fast_translations_and_a_rejected_one_keeps_those_before_it()
    {
        // 64-bit: the region-table mode, whose granule table is built once for the batch.
        using var memory = new GuestMemory(new GuestMemoryOptions { AddressWidth = 64 });
        var e = Assert.Throws<RegionOverlapException>(() => memory.AddRegions([
            GuestRegion.Ram("Low", 0x1000_0000, 0x20_0000),
            GuestRegion.Ram("High", 0x8_0000_0000, 0x10_0000),
            GuestRegion.Ram("Clash", 0x1010_0000, 0x1000),
            GuestRegion.Ram("Never", 0x9_0000_0000, 0x1000),
        ]));
        Assert.Contains("'Clash'", e.Message);
        Assert.Equal(["Low", "High"], memory.Regions.Select(r => r.Name));
        foreach (ulong address in (ulong[])[0x1000_0000, 0x101F_FFF8, 0x8_0000_0000, 0x8_000F_FFF8])
        {
            Assert.True(GuestMemory.GranulePointer(memory.GranuleEntries, address, 8, RegionSlot.ReadBit) != null, $"0x{address:X} has no fast translation");
            memory.WriteUInt64(new GuestAddress(address), address);
            Assert.Equal(address, memory.ReadUInt64(new GuestAddress(address)));
        }
        Assert.Throws<GuestUnmappedException>(() => memory.ReadByte(new GuestAddress(0x9_0000_0000)));
        memory.AddRegions([]);   // nothing added: the table stays as it is
        Assert.Equal(2, memory.Regions.Count);
    }

    // Adding regions together is adding them one at a time: the same regions end up in, in address order, and the same
    // one is refused for the same reason (a name already used, an overlap), whatever the order and clashes.
    [Fact]
    public void Regions_added_together_are_those_added_one_by_one()
    {
        var region = Gen.Select(Gen.Int[0, 15], Gen.Int[0, 63], Gen.Int[1, 4]);
        region.Array[0, 12].Sample(specs =>
        {
            var regions = specs.Select(r => GuestRegion.Ram($"R{r.Item1}", 0x1000_0000 + 0x1000UL * (ulong)r.Item2, 0x1000UL * (ulong)r.Item3)).ToArray();
            using var together = new GuestMemory(new GuestMemoryOptions { AddressWidth = 64 });
            using var oneByOne = new GuestMemory(new GuestMemoryOptions { AddressWidth = 64 });
            Type? refused = null, refusedTogether = null;
            foreach (var r in regions)
            {
                try
                {
                    oneByOne.AddRegion(r);
                }
                catch (Exception e) when (e is ArgumentException or RegionOverlapException)
                {
                    refused = e.GetType();
                    break;
                }
            }
            try
            {
                together.AddRegions(regions);
            }
            catch (Exception e) when (e is ArgumentException or RegionOverlapException)
            {
                refusedTogether = e.GetType();
            }
            Assert.Equal(refused, refusedTogether);
            Assert.Equal(oneByOne.Regions.Select(r => (r.Name, r.Start.Value)), together.Regions.Select(r => (r.Name, r.Start.Value)));
            foreach (var r in together.Regions)
            {
                together.WriteUInt32(r.Start, 0xC0DE);   // the table the batch built finds each region
                Assert.Equal(0xC0DEu, together.ReadUInt32(r.Start));
            }
        });
    }

    [Fact]
    public void A_64_bit_space_reaches_its_last_byte()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("Top", ulong.MaxValue - 0xFFF, 0x1000)], new GuestMemoryOptions { AddressWidth = 64 });
        memory.WriteUInt64(new GuestAddress(ulong.MaxValue - 7), 42);
        Assert.Equal(42UL, memory.ReadUInt64(new GuestAddress(ulong.MaxValue - 7)));
        Assert.Throws<GuestMemoryException>(() => memory.ReadUInt64(new GuestAddress(ulong.MaxValue - 3)));
        Assert.Equal(0, memory.ReadByte(new GuestAddress(ulong.MaxValue - 0xFFF)));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Removed_regions_fault_and_come_back_empty(bool regionTable)
    {
        using var memory = Stm32(regionTable);
        var sram = new GuestAddress(0x2000_0000);
        memory.WriteUInt32(sram, 77);
        Assert.True(memory.RemoveRegion("SRAM"));
        Assert.False(memory.RemoveRegion("SRAM"));
        Assert.Throws<GuestUnmappedException>(() => memory.ReadUInt32(sram));
        memory.AddRegion(GuestRegion.Ram("SRAM", 0x2000_0000, 20 * 1024));
        Assert.Equal(0u, memory.ReadUInt32(sram));
    }

    [Fact]
    public void Mmio_accesses_reach_the_handler_split_into_aligned_pieces()
    {
        var handler = new RecordingMmio(0x100);
        using var memory = GuestMemory.Create([GuestRegion.Mmio("UART", 0x4001_3800, 0x100, handler), GuestRegion.Ram("RAM", 0x4001_3900, 0x100)]);
        memory.WriteUInt32(new GuestAddress(0x4001_3804), 0x41);
        Assert.Equal(("W", 4UL, 4, 0x41UL), handler.Log[^1]);
        Assert.Equal(0x41u, memory.ReadUInt32(new GuestAddress(0x4001_3804)));

        handler.Log.Clear();
        memory.WriteUInt32(new GuestAddress(0x4001_3803), 0xAABBCCDD);           // unaligned: 1 + 2 + 1
        Assert.Equal([("W", 3UL, 1, 0xDDUL), ("W", 4UL, 2, 0xBBCCUL), ("W", 6UL, 1, 0xAAUL)], handler.Log);
        Assert.Equal(0xAABBCCDDu, memory.ReadUInt32(new GuestAddress(0x4001_3803)));

        var bytes = new byte[16];
        memory.Read(new GuestAddress(0x4001_38F8), bytes);                        // 8 from MMIO, 8 from RAM
        Assert.Throws<GuestMemoryException>(() => memory.Translate(new GuestAddress(0x4001_3800)));
    }

    [Fact]
    public void Mmio_region_without_a_handler_is_reported()
    {
        using var memory = GuestMemory.Create([new GuestRegion("GPIO", new GuestAddress(0x4001_0800), 0x400, Permissions.ReadWrite, RegionKind.Mmio)]);
        var e = Assert.Throws<GuestMemoryException>(() => memory.ReadUInt32(new GuestAddress(0x4001_0800)));
        Assert.Equal(GuestFault.NoBacking, e.Fault);
        Assert.Contains("GPIO", e.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_large_device_costs_resident_memory_only_for_touched_pages(bool regionTable, bool hugePages)
    {
        using var memory = GuestMemory.Create(
        [
            GuestRegion.Flash("Flash", 0x0000_0000, 1UL << 30),
            GuestRegion.Ram("DRAM", 0x8000_0000, 2UL << 30),
        ], new GuestMemoryOptions { ForceRegionTable = regionTable, BackingProvider = new AnonymousBackingProvider { HugePages = hugePages } });
        ulong before = memory.ResidentBytes();
        Assert.True(before < 64 * 1024, $"resident after creation: {before} bytes");
        for (ulong i = 0; i < 10; i++)
        {
            memory.WriteUInt32(new GuestAddress(0x8000_0000 + i * (100 << 20)), 1);
        }
        ulong after = memory.ResidentBytes();
        // A touched page costs 4 KiB, or its whole 2 MiB with huge pages (where the kernel has them).
        Assert.InRange(after - before, 10UL * 4096, hugePages ? 10UL * (2 << 20) : 10UL * 4096 * 2);
    }

    // More than the host's address space (128 TiB for a process): the failure names the region, not only the mmap call.
    [Fact]
    public void A_region_the_host_cannot_back_is_named_in_the_failure()
    {
        var e = Assert.Throws<MemGate.Native.NativeMemoryException>(() =>
            GuestMemory.Create([GuestRegion.Ram("BIG", 0, 1UL << 48)], new GuestMemoryOptions { AddressWidth = 64 }));
        Assert.StartsWith("Region 'BIG' [0x", e.Message, StringComparison.Ordinal);
        Assert.Contains("could not give it 281,474,976,710,656 bytes of memory: mmap(", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Disposed_memory_refuses_access(bool regionTable)
    {
        var memory = Stm32(regionTable);
        var accessor = memory.GetAccessor();
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.ReadUInt32(new GuestAddress(0x2000_0000)));   // not "nothing mapped at 0x20000000"
        Assert.Throws<ObjectDisposedException>(() => memory.Debug.WriteUInt32(new GuestAddress(0x2000_0000), 1));
        Assert.Throws<ObjectDisposedException>(() => accessor.ReadUInt32LittleEndian(new GuestAddress(0x2000_0000)));
        Assert.Throws<ObjectDisposedException>(() => memory.AddRegion(GuestRegion.Ram("X", 0, 16)));
        memory.Dispose();
    }

    // A struct of another size than 1, 2, 4 or 8 bytes reaches a handler in the pieces it is promised (it went whole,
    // and only 8 of its bytes came back or went out).
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Twelve
    {
        public uint A, B, C;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mmio_accesses_of_odd_sized_values_are_split_into_pieces_a_handler_takes(bool bigEndian)
    {
        var handler = new RecordingMmio(0x100, bigEndian);
        using var memory = GuestMemory.Create([GuestRegion.Mmio("DEV", 0x4000_0000, 0x100, handler)],
            new GuestMemoryOptions { ByteOrder = bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian });
        memory.Write(new GuestAddress(0x4000_0010), new Twelve { A = 0x11111111, B = 0x22222222, C = 0x33333333 });
        Assert.Equal([("W", 0x10UL, 8), ("W", 0x18UL, 4)], handler.Log.Select(l => (l.Item1, l.Item2, l.Item3)));
        var back = memory.Read<Twelve>(new GuestAddress(0x4000_0010));
        Assert.Equal((0x11111111u, 0x22222222u, 0x33333333u), (back.A, back.B, back.C));
        Assert.All(handler.Log, l => Assert.True(l.Item3 is 1 or 2 or 4 or 8));
        Assert.Equal(Int128.MaxValue - 5, WriteRead(Int128.MaxValue - 5));   // 16 bytes: two pieces of 8 each way

        Int128 WriteRead(Int128 value)
        {
            memory.Write(new GuestAddress(0x4000_0020), value);
            return memory.Read<Int128>(new GuestAddress(0x4000_0020));
        }
    }

    /// <summary>An MMIO handler that behaves like plain memory in the bus's byte order and logs every access.</summary>
    internal sealed class RecordingMmio(int size, bool bigEndian = false) : IMmioHandler
    {
        private readonly byte[] _bytes = new byte[size];

        public List<(string, ulong, int, ulong)> Log { get; } = [];

        public ulong Read(ulong offset, int size)
        {
            ulong value = 0;
            for (int i = 0; i < size; i++)
            {
                value |= (ulong)_bytes[(int)offset + i] << (8 * (bigEndian ? size - 1 - i : i));
            }
            Log.Add(("R", offset, size, value));
            return value;
        }

        public void Write(ulong offset, int size, ulong value)
        {
            Assert.True(size is 1 or 2 or 4 or 8 && offset % (ulong)size == 0, $"unaligned handler access {offset}/{size}");
            for (int i = 0; i < size; i++)
            {
                _bytes[(int)offset + i] = (byte)(value >> (8 * (bigEndian ? size - 1 - i : i)));
            }
            Log.Add(("W", offset, size, value));
        }
    }
}
