using CsCheck;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Snapshots;

namespace MemGate.Tests.Snapshots;

// Restores from a write witness (the writers' own reports instead of the kernel's page-table walk) against the
// model: memory as it was at the snapshot, byte for byte, whatever wrote it.
public sealed class WriteWitnessTests
{
    // One write: region, where in it (fraction of its size), length, value, and the path that writes it.
    private static readonly Gen<(int Region, double At, int Length, byte Value, int Path)> Write =
        Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Int[1, 300], Gen.Byte, Gen.Int[0, 8]);

    // Rounds of random writes through every path host code has into guest memory (checked and debug writes,
    // scalars, an accessor, atomics, spans and pointers handed out); in some rounds a writer says it could not
    // report (as an engine does when the CPU's MMU translates), and that restore walks the page table instead. Each
    // restore brings every byte back; a witnessed one copies exactly the pages that differ and walks nothing; a walk
    // after witnessed restores counts and copies no page they left as at the snapshot.
    [SkippableTheory]
    [InlineData(32)]
    [InlineData(64)]
    public void A_restore_from_the_witness_brings_back_every_byte_whatever_path_wrote(int width)
    {
        Requires.WriteTracking();   // here, not inside the sample: CsCheck would report the skip as a failure
        Gen.Select(Write.Array[0, 40], Write.Array[0, 40].Array[1, 4], Gen.Bool.Array[4]).Sample((before, rounds, unwitnessed) =>
        {
            using var memory = GuestMemory.Create(GuestSnapshotTests.Layout(), new GuestMemoryOptions { AddressWidth = width });
            Apply(memory, before);
            var expected = memory.Regions.Where(r => r.HasHostMemory).Select(r => GuestSnapshotTests.Contents(memory, r)).ToArray();
            var witness = new WriteWitness();
            using (var snapshot = GuestSnapshot.Take(memory, witness))
            {
                Assert.True(witness.Complete);
                for (int round = 0; round < rounds.Length; round++)
                {
                    var written = Apply(memory, rounds[round]);
                    var differing = GuestSnapshotTests.Differing(memory, expected);
                    if (unwitnessed[round])
                    {
                        witness.Unwitnessed();
                        Assert.InRange(snapshot.DirtyBytes(), (ulong)differing.Count * 4096, (ulong)written.Count * 4096);
                    }
                    else
                    {
                        Assert.Equal((ulong)differing.Count * 4096, snapshot.DirtyBytes());
                    }
                    var restore = snapshot.Restore();

                    GuestSnapshotTests.AssertSame(expected, memory);
                    Assert.Equal(!unwitnessed[round], restore.FromWitness);
                    if (restore.FromWitness)
                    {
                        Assert.Equal((ulong)differing.Count, restore.Pages);
                    }
                    else
                    {
                        Assert.InRange(restore.Pages, (ulong)differing.Count, (ulong)written.Count);
                    }
                    Assert.True(witness.Complete);
                    Assert.Equal(0UL, snapshot.DirtyBytes());
                }
            }
            memory.WriteUInt32(new GuestAddress(0x2000_0000), 1);   // the snapshot gone, the memory no longer reports
            Assert.Equal(0UL, DirtyBytesOf(witness));
        }, iter: 40);
    }

    private static ulong DirtyBytesOf(WriteWitness witness)
    {
        var pages = new List<nint>();
        witness.CopyPages(pages);
        return (ulong)pages.Count * 4096;
    }

    // Writes through the path each write names (flash, region 0, only through the debug view, which may write it);
    // returns the host pages written.
    private static HashSet<long> Apply(GuestMemory memory, (int Region, double At, int Length, byte Value, int Path)[] writes)
    {
        var pages = new HashSet<long>();
        foreach (var (index, at, length, value, path) in writes)
        {
            var region = memory.Regions[index];
            ulong offset = (ulong)(at * (region.Size - 1));
            int n = (int)Math.Min((ulong)length, region.Size - offset);
            var start = new GuestAddress(region.Start.Value + offset);
            var bytes = Enumerable.Repeat(value, n).ToArray();
            int kind = index == 0 ? 3 : path;
            if (kind == 7)
            {
                start = new GuestAddress(Math.Min(start.Value, region.Start.Value + region.Size - 4) & ~3UL);
                n = 4;
            }
            else if (kind == 8)
            {
                n = 1;
            }
            Assert.True(memory.TryFindHost(start, out nint host));
            for (long p = host >> 12; p <= (host + n - 1) >> 12; p++)
            {
                pages.Add(p);
            }
            switch (kind)
            {
                case 0: memory.Write(start, bytes); break;
                case 1:
                    for (int i = 0; i < n; i++)
                    {
                        memory.WriteByte(start + (ulong)i, value);
                    }
                    break;
                case 2:
                    var access = memory.GetAccessor();
                    for (int i = 0; i < n; i++)
                    {
                        access.WriteByte(start + (ulong)i, value);
                    }
                    break;
                case 3: memory.Debug.Write(start, bytes); break;
                case 4: bytes.CopyTo(memory.GetSpan(start, n)); break;
                case 5: bytes.CopyTo(memory.GetSpan(start, n, AccessKind.Write)); break;
                case 6:
                    unsafe
                    {
                        bytes.CopyTo(new Span<byte>((void*)memory.Translate(start, (ulong)n), n));
                    }
                    break;
                case 7: memory.AddUInt32(start, value == 0 ? 1u : value); break;
                default:
                    unsafe
                    {
                        Assert.True(memory.TryTranslate(start, out nint pointer));
                        *(byte*)pointer = value;
                    }
                    break;
            }
        }
        return pages;
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    // A machine whose engine reports its stores: stopped anywhere, snapshot, run on (to the end, or for a number of
    // instructions), restored: memory is byte for byte as at the snapshot, and the run goes on as the first time. A run
    // to the end is witnessed throughout (unless the firmware turns the MMU on); one that ends at an instruction count is
    // not always (Unicorn's count runs through the CPU's MMU, which grants write permission without telling), and then
    // the restore walks the page table.
    [SkippableTheory]
    [InlineData("STM32F103", "firmware/tasks.elf", true)]
    [InlineData("STM32F103", "firmware/loops.elf", true)]   // 512,000 guest stores to a buffer, nothing else writing it
    [InlineData("STM32F407", "differential/cortex-m4f/fpu.elf", true)]
    [InlineData("RV32", "differential/riscv/traps-rv32.elf", true)]
    [InlineData("CortexA53", "differential/aarch64/exceptions.elf", true)]   // EL1 with the MMU off, EL0, the GIC and its timer
    [InlineData("CortexA53", "differential/aarch64/mmu.elf", false)]         // the MMU on (the CPU's MMU translates: a walk) and off
    public void A_machine_restored_from_its_witness_is_as_at_the_snapshot_and_goes_on_identically(string template, string image, bool witnessedToTheEnd)
    {
        Requires.WriteTracking();
        ulong total;
        using (var probe = Start(template, image, TextWriter.Null))
        {
            total = probe.Run(timeout: TimeSpan.FromSeconds(20)).Instructions;
        }
        Gen.Select(Gen.Double[0.01, 0.95], Gen.Bool).Sample((fraction, limited) =>
        {
            var output = new StringWriter();
            using var machine = Start(template, image, output);
            machine.WitnessWrites = true;
            ulong stop = Math.Max(1, (ulong)(total * fraction));
            machine.Run(maxInstructions: stop, timeout: TimeSpan.FromSeconds(20));
            using var snapshot = machine.TakeSnapshot();
            Assert.NotNull(snapshot.Witness);
            var memory = machine.Memory.Main;
            var expected = Digests(memory);
            ulong limit = limited ? Math.Max(1, (total - stop) / 2) : 0;
            int mark = output.ToString().Length;
            var first = machine.Continue(maxInstructions: limit, timeout: TimeSpan.FromSeconds(20));
            string rest = output.ToString()[mark..];

            var restore = machine.Restore(snapshot);
            Assert.Equal(expected, Digests(memory));
            if (!limited && witnessedToTheEnd)
            {
                Assert.True(restore.FromWitness);
            }
            mark = output.ToString().Length;
            var again = machine.Continue(maxInstructions: limit, timeout: TimeSpan.FromSeconds(20));
            Assert.Equal((first.Outcome, first.ExitCode, first.Instructions), (again.Outcome, again.ExitCode, again.Instructions));
            Assert.Equal(rest, output.ToString()[mark..]);
        }, iter: 10, threads: 1);
    }

    // Each host region's XXH3, read straight from its host memory (a CortexA53's 2 GiB does not fit an array, and a span
    // from GetSpan would count as written).
    private static unsafe (string, ulong)[] Digests(GuestMemory memory) => [.. memory.Regions.Where(r => r.HasHostMemory).Select(r =>
    {
        Assert.True(memory.TryFindHost(r.Start, out nint host));
        var hash = new System.IO.Hashing.XxHash3();
        for (ulong at = 0; at < r.Size; at += 1UL << 30)
        {
            hash.Append(new ReadOnlySpan<byte>((void*)(host + (nint)at), (int)Math.Min(1UL << 30, r.Size - at)));
        }
        return (r.Name, hash.GetCurrentHashAsUInt64());
    })];

    private static FirmwareMachine Start(string template, string image, TextWriter output)
    {
        var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), output);
        machine.Load(FirmwareReader.Load(Fixture(image)));
        return machine;
    }

    // A second snapshot refused while the first lives, and a snapshot disposed twice (once after a newer one was
    // taken), leave the engine reporting to the live snapshot's witness: its restores still bring back every byte.
    [SkippableTheory]
    [InlineData("STM32F103", "firmware/loops.elf")]
    [InlineData("RV32", "differential/riscv/traps-rv32.elf")]
    public void Snapshots_refused_or_disposed_twice_leave_the_live_one_witnessed(string template, string image)
    {
        Requires.WriteTracking();
        using var machine = Start(template, image, TextWriter.Null);
        machine.WitnessWrites = true;
        machine.Run(maxInstructions: 200, timeout: TimeSpan.FromSeconds(20));
        var old = machine.TakeSnapshot();
        old.Dispose();
        using var snapshot = machine.TakeSnapshot();
        old.Dispose();
        Assert.Throws<InvalidOperationException>(() => machine.TakeSnapshot());
        var memory = machine.Memory.Main;
        var expected = memory.Regions.Where(r => r.HasHostMemory).Select(r => GuestSnapshotTests.Contents(memory, r)).ToArray();
        for (int round = 0; round < 2; round++)
        {
            machine.Continue(timeout: TimeSpan.FromSeconds(20));
            Assert.NotEmpty(GuestSnapshotTests.Differing(memory, expected));   // the run wrote memory
            Assert.True(machine.Restore(snapshot).FromWitness);
            GuestSnapshotTests.AssertSame(expected, memory);
        }
    }

    // Large memory reports its writes by default where the engine can: the RV64's 1 GiB of RAM, the CortexA53's 2 GiB
    // (its engine fills the TLB itself while the MMU is off); the STM32F103's 20 KiB walk.
    [SkippableTheory]
    [InlineData("RV64", "differential/riscv/traps-rv64.elf", true)]
    [InlineData("CortexA53", "differential/aarch64/exceptions.elf", true)]
    [InlineData("STM32F103", "firmware/tasks.elf", false)]
    public void Large_memory_is_witnessed_where_the_engine_sees_its_stores(string template, string image, bool witnessed)
    {
        Requires.WriteTracking();
        using var machine = Start(template, image, TextWriter.Null);
        machine.Run(maxInstructions: 50, timeout: TimeSpan.FromSeconds(20));
        using var snapshot = machine.TakeSnapshot();
        Assert.Equal(witnessed, snapshot.Witness is not null);
    }
}
