using CsCheck;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Native;
using MemGate.Snapshots;

namespace MemGate.Tests.Snapshots;

public sealed class GuestSnapshotTests
{
    internal static GuestRegion[] Layout() =>
    [
        GuestRegion.Flash("Flash", 0x0800_0000, 64 * 1024),
        GuestRegion.Ram("SRAM", 0x2000_0000, 20 * 1024),
        GuestRegion.Ram("Small", 0x2000_5000, 0x100),          // shares a host page with nothing else in table mode, with SRAM's tail page in flat mode
        GuestRegion.Ram("Big", 0x6000_0000, 2 << 20),
    ];

    // Skips (never passes) where the kernel cannot track writes; see Requires.WriteTracking.
    internal static GuestSnapshot TakeOrSkip(GuestMemory memory)
    {
        Requires.WriteTracking();
        return GuestSnapshot.Take(memory);
    }

    internal static byte[] Contents(GuestMemory memory, GuestRegion region)
    {
        var bytes = new byte[region.Size];
        memory.Debug.Read(region.Start, bytes);
        return bytes;
    }

    // Rounds of random writes (through the debug path, as a loader or a CPU engine writes host pages) after a
    // snapshot; each Restore brings every region back byte for byte, and copies exactly the pages written, except
    // that of the pages the previous restore left writable (those it copied) only the ones that differ are copied;
    // the others are protected again. Both ways of protecting pages again (per run, by a walk of the page table,
    // which protects every page and leaves none writable) are forced in turn; left to choose, either may happen. So are
    // both ways of copying (streaming stores, which large restores use, and ordinary ones).
    [SkippableTheory]
    [InlineData(32, null, null)]
    [InlineData(64, null, true)]
    [InlineData(32, false, true)]
    [InlineData(64, true, false)]
    public void Restore_brings_back_every_byte_and_copies_only_written_pages(int width, bool? protectByWalk, bool? streaming)
    {
        Requires.WriteTracking();   // before sampling: CsCheck would report a skip inside a sample as a failure
        var write = Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Int[1, 300], Gen.Byte);
        Gen.Select(write.Array[0, 40], write.Array[0, 40], Gen.Int[0, 3]).Sample((before, after, rounds) =>
        {
            using var memory = GuestMemory.Create(Layout(), new GuestMemoryOptions { AddressWidth = width });
            Apply(memory, before);
            var expected = memory.Regions.Where(r => r.HasHostMemory).Select(r => Contents(memory, r)).ToArray();
            using var snapshot = TakeOrSkip(memory);
            snapshot.ProtectByWalk = protectByWalk;
            snapshot.Streaming = streaming;

            var writable = new HashSet<long>();   // the model: pages the last restore left writable
            for (int round = 0; round <= rounds; round++)
            {
                // The same writes each round, as a fuzz target's runs write the same stack; and one round none.
                var written = round == 2 ? [] : Apply(memory, after);
                var differing = Differing(memory, expected);
                var copied = written.Where(p => !writable.Contains(p) || differing.Contains(p)).ToHashSet();
                if (protectByWalk is null)
                {
                    Assert.InRange(snapshot.DirtyBytes(), (ulong)differing.Count * 4096, (ulong)written.Count * 4096);
                }
                else
                {
                    Assert.Equal((ulong)copied.Count * 4096, snapshot.DirtyBytes());
                }
                var restore = snapshot.Restore();

                AssertSame(expected, memory);
                Assert.Equal(0UL, snapshot.DirtyBytes());                 // the restore's own copies do not count
                if (protectByWalk is null)
                {
                    Assert.InRange(restore.Pages, (ulong)differing.Count, (ulong)written.Count);
                }
                else
                {
                    Assert.Equal((ulong)copied.Count, restore.Pages);
                }
                writable = protectByWalk == true ? [] : copied;
            }
        }, iter: 60);
    }

    // A page a restore copied back stays writable: written again, it is copied again with no fault in between; written
    // back to what the snapshot holds (or not written), it is protected again, and a later write is caught as any other.
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_page_left_writable_is_protected_again_once_found_unchanged(bool written)
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x2000_0000, 64 * 1024)]);
        var a = new GuestAddress(0x2000_1000);
        var b = new GuestAddress(0x2000_5000);
        memory.WriteUInt32(a, 0x1111);
        using var snapshot = TakeOrSkip(memory);
        snapshot.ProtectByWalk = false;

        memory.WriteUInt32(a, 0x2222);
        Assert.Equal(1UL, snapshot.Restore().Pages);
        memory.WriteUInt32(a, 0x3333);                  // writable now: no fault, still copied back, as it differs
        Assert.Equal(4096UL, snapshot.DirtyBytes());
        Assert.Equal(1UL, snapshot.Restore().Pages);
        Assert.Equal(0x1111u, memory.ReadUInt32(a));

        if (written)
        {
            memory.WriteUInt32(a, 0x1111);              // what the snapshot holds
        }
        memory.WriteUInt32(b, 0x4444);
        Assert.Equal(4096UL, snapshot.DirtyBytes());    // b only
        Assert.Equal(1UL, snapshot.Restore().Pages);    // a protected again here
        Assert.Equal(0u, memory.ReadUInt32(b));
        using (var pagemap = DirtyTracking.OpenPagemap())
        {
            var runs = new DirtyTracking.PageRegion[4];
            ulong host = (ulong)memory.Translate(a);
            Assert.Equal(0, DirtyTracking.Scan(pagemap, host, host + 4096, DirtyTracking.PageIsWritten, runs, out _));
            host = (ulong)memory.Translate(b);
            Assert.Equal(1, DirtyTracking.Scan(pagemap, host, host + 4096, DirtyTracking.PageIsWritten, runs, out _));   // left writable
        }

        memory.WriteUInt32(a, 0x5555);                  // caught by the protection
        memory.WriteUInt32(b, 0);                       // b is writable and back as at the snapshot: nothing to copy
        Assert.Equal(4096UL, snapshot.DirtyBytes());
        Assert.Equal(1UL, snapshot.Restore().Pages);
        Assert.Equal(0x1111u, memory.ReadUInt32(a));
        Assert.Equal(0UL, snapshot.DirtyBytes());
    }

    // The host pages whose bytes differ from the snapshot's.
    internal static HashSet<long> Differing(GuestMemory memory, byte[][] expected)
    {
        var pages = new HashSet<long>();
        var regions = memory.Regions.Where(r => r.HasHostMemory).ToArray();
        for (int i = 0; i < regions.Length; i++)
        {
            var now = Contents(memory, regions[i]);
            Assert.True(memory.TryFindHost(regions[i].Start, out nint host));   // a lookup: Translate's and TryTranslate's pointers count as written to a witness
            for (int at = 0; at < now.Length; at++)
            {
                if (now[at] != expected[i][at])
                {
                    pages.Add((host + at) >> 12);
                }
            }
        }
        return pages;
    }

    // Gigabytes of RAM the firmware never touched are protected as huge entries of the kernel's zero page, not as
    // a marker per 4 KiB page (the kernel would build page tables for all of them, and each restore would walk
    // them): nothing there reads as swapped out (what markers read as) or written, and a first write there is
    // still caught, as its own 4 KiB page, and undone.
    [SkippableFact]
    public void Untouched_memory_gets_no_markers_and_a_first_write_there_is_still_restored()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x8000_0000, 1UL << 30)], new GuestMemoryOptions { AddressWidth = 64 });
        memory.WriteUInt32(new GuestAddress(0x8000_0000), 0x1234_5678);   // one 2 MiB with data
        using var snapshot = TakeOrSkip(memory);
        nint host = memory.Translate(new GuestAddress(0x8040_0000));
        using var pagemap = DirtyTracking.OpenPagemap();
        var runs = new DirtyTracking.PageRegion[16];
        Assert.Equal(0, DirtyTracking.Scan(pagemap, (ulong)host, (ulong)host + (1UL << 29), DirtyTracking.PageIsSwapped | DirtyTracking.PageIsWritten, runs, out _));

        memory.WriteUInt32(new GuestAddress(0x9000_0000), 0xBAD);
        memory.WriteUInt32(new GuestAddress(0x8000_0000), 0xBAD);
        Assert.Equal(2UL * 4096, snapshot.DirtyBytes());
        Assert.Equal(2UL, snapshot.Restore().Pages);
        Assert.Equal(0u, memory.ReadUInt32(new GuestAddress(0x9000_0000)));
        Assert.Equal(0x1234_5678u, memory.ReadUInt32(new GuestAddress(0x8000_0000)));
        Assert.Equal(0UL, snapshot.DirtyBytes());
    }

    internal static void AssertSame(byte[][] expected, GuestMemory memory)
    {
        var regions = memory.Regions.Where(r => r.HasHostMemory).ToArray();
        Assert.Equal(expected.Length, regions.Length);
        for (int i = 0; i < regions.Length; i++)
        {
            var now = Contents(memory, regions[i]);
            int differs = now.AsSpan().CommonPrefixLength(expected[i]);
            Assert.True(differs == now.Length, $"region '{regions[i].Name}' differs at offset 0x{differs:X}");
        }
    }

    // Writes at (region, fraction of its size) of a length and value; returns the host pages touched.
    private static HashSet<long> Apply(GuestMemory memory, (int Region, double At, int Length, byte Value)[] writes)
    {
        var pages = new HashSet<long>();
        foreach (var (index, at, length, value) in writes)
        {
            var region = memory.Regions[index];
            ulong offset = (ulong)(at * (region.Size - 1));
            int n = (int)Math.Min((ulong)length, region.Size - offset);
            var start = new GuestAddress(region.Start.Value + offset);
            memory.Debug.Write(start, Enumerable.Repeat(value, n).ToArray());
            long host = memory.Translate(start);
            for (long p = host >> 12; p <= (host + n - 1) >> 12; p++)
            {
                pages.Add(p);
            }
        }
        return pages;
    }

    [SkippableTheory]
    [InlineData(1 << 20)]
    [InlineData(4 << 20)]   // on huge pages
    public void A_second_snapshot_of_tracked_memory_says_why_it_cannot_and_works_once_the_first_is_gone(int size)
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x2000_0000, (ulong)size)]);
        var first = TakeOrSkip(memory);   // nothing written yet: no page is populated
        memory.WriteUInt32(new GuestAddress(0x2000_0000), 1);
        var e = Assert.Throws<InvalidOperationException>(() => GuestSnapshot.Take(memory));
        Assert.Contains("already tracked by another snapshot", e.Message);
        first.Dispose();
        first = GuestSnapshot.Take(memory);   // now with a populated page
        e = Assert.Throws<InvalidOperationException>(() => GuestSnapshot.Take(memory));
        Assert.Contains("already tracked by another snapshot", e.Message);
        first.Dispose();
        using var second = GuestSnapshot.Take(memory);
        memory.WriteUInt32(new GuestAddress(0x2000_0000), 2);
        second.Restore();
        Assert.Equal(1u, memory.ReadUInt32(new GuestAddress(0x2000_0000)));
    }

    // Shared memory can hold data in pages this process has not mapped (another process wrote them, or they were
    // dropped from its page tables): the snapshot still has them, and a restore brings them back, not zeros.
    [SkippableFact]
    public void Shared_memory_pages_this_process_has_not_mapped_are_in_the_snapshot()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x2000_0000, 1 << 20)],
            new GuestMemoryOptions { AddressWidth = 64, BackingProvider = SharedMemoryBackingProvider.Instance });
        var page = new GuestAddress(0x2000_3000);
        memory.Debug.Write(page, Enumerable.Repeat((byte)0xAB, 4096).ToArray());
        Assert.Equal(0, Libc.Madvise(memory.Translate(page), 4096, Libc.MadvDontNeed));   // the memfd keeps the data
        using var snapshot = TakeOrSkip(memory);
        memory.Debug.Write(page, Enumerable.Repeat((byte)0x11, 4096).ToArray());
        snapshot.Restore();
        var back = new byte[4096];
        memory.Debug.Read(page, back);
        Assert.All(back, b => Assert.Equal(0xAB, b));
    }

    // A firmware run dirties a few pages of a 2-region STM32F103; restoring them brings back the loaded
    // image exactly, and the same firmware then runs again with the same output.
    [SkippableFact]
    public void A_firmware_run_is_undone_by_restoring_only_the_pages_it_wrote()
    {
        var output = new StringWriter();
        using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), output);
        machine.Load(FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "systick.elf")));
        var memory = machine.Memory.Main;
        var before = memory.Regions.Where(r => r.HasHostMemory).Select(r => Contents(memory, r)).ToArray();
        using var snapshot = TakeOrSkip(memory);

        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
        Assert.InRange(snapshot.DirtyBytes(), 4096UL, 8 * 4096UL);   // .bss and the stack: a page or two of 150 KiB
        var restore = snapshot.Restore();
        AssertSame(before, memory);
        Assert.InRange(restore.Pages, 1UL, 8UL);

        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal("ticks: 5\nticks: 5\n", output.ToString());
    }

    [SkippableFact]
    public void A_snapshot_of_memory_whose_regions_changed_refuses_to_restore()
    {
        using var memory = GuestMemory.Create(Layout(), new GuestMemoryOptions { AddressWidth = 64 });
        using var snapshot = TakeOrSkip(memory);
        memory.RemoveRegion("Small");
        var e = Assert.Throws<InvalidOperationException>(() => snapshot.Restore());
        Assert.Contains("region 'Small'", e.Message);
    }

    // The same region object removed and added again has new memory, which the snapshot does not track (with 64-bit
    // addresses the restore wrote to the old, freed memory and said it had restored).
    [SkippableTheory]
    [InlineData(32)]
    [InlineData(64)]
    public void A_region_removed_and_added_again_counts_as_changed(int width)
    {
        using var memory = GuestMemory.Create(Layout(), new GuestMemoryOptions { AddressWidth = width });
        using var snapshot = TakeOrSkip(memory);
        var small = memory.FindRegion("Small")!;
        memory.RemoveRegion("Small");
        memory.AddRegion(small);
        Assert.Throws<InvalidOperationException>(() => snapshot.Restore());
        Assert.Throws<InvalidOperationException>(() => snapshot.DirtyBytes());
    }

    [SkippableFact]
    public void Disposed_memory_is_said_so_by_take_restore_and_dirty_bytes()
    {
        var memory = GuestMemory.Create(Layout());
        var snapshot = TakeOrSkip(memory);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => snapshot.Restore());
        Assert.Throws<ObjectDisposedException>(() => snapshot.DirtyBytes());
        Assert.Throws<ObjectDisposedException>(() => GuestSnapshot.Take(memory));
        snapshot.Dispose();
    }
}
