using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Native;
using MemGate.Snapshots;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Benchmarks;

/// <summary>
/// Reset of guest RAM (256 MiB and 2 GiB, every page holding data) after 16 pages or 1 % of its pages
/// were written: <see cref="GuestSnapshot.Restore"/> (kernel-tracked dirty pages, copied back alone)
/// against the baseline a tracker-less reset needs, copying the whole region back from its copy; with and
/// without transparent huge pages under the RAM (the previous design had none: every page entry was scanned); and
/// with the pages found by the kernel's walk of the page table or listed by a <see cref="WriteWitness"/> (the writes
/// here go through <see cref="GuestMemory.WriteUInt32"/>, which reports them, as a CPU engine reports its stores).
/// Targets for 2 GiB: 16 pages within 50 µs, 1 % within 3 ms.
/// </summary>
public unsafe class SnapshotBenchmarks
{
    private const int Page = 4096;
    private const ulong Base = 0x8000_0000;
    private const int Chunk = 1 << 30;   // spans are int-sized: copy 2 GiB in 1 GiB steps
    private GuestMemory _memory = null!;
    private GuestSnapshot _snapshot = null!;
    private byte* _copy;
    private ulong[] _dirty = null!;
    private readonly DirtyTracking.PageRegion[] _runs = new DirtyTracking.PageRegion[256];
    private SafeFileHandle _pagemap = null!;   // opened once, as the snapshot's own

    /// <summary>RAM size in MiB.</summary>
    [Params(256, 2048)]
    public int SizeMiB { get; set; }

    /// <summary>How much was written since the snapshot: "16 pages" or "1 %".</summary>
    [Params("16 pages", "1 %")]
    public string Dirty { get; set; } = "";

    /// <summary>RAM on transparent huge pages (the default) or on 4 KiB pages.</summary>
    [Params(true, false)]
    public bool HugePages { get; set; }

    /// <summary>Pages listed by a write witness (true) or found by the kernel's walk (false).</summary>
    [Params(false, true)]
    public bool Witness { get; set; }

    private ulong Size => (ulong)SizeMiB << 20;

    // The RAM's host memory, without reporting it written (a span from GetSpan would count as written: all of it).
    private byte* Host => _memory.TryTranslate(new GuestAddress(Base), out nint host) ? (byte*)host : throw new InvalidOperationException("no RAM");

    [GlobalSetup]
    public void Setup()
    {
        _memory = GuestMemory.Create([GuestRegion.Ram("RAM", Base, Size)], new GuestMemoryOptions { AddressWidth = 64, BackingProvider = new AnonymousBackingProvider { HugePages = HugePages } });
        _copy = (byte*)NativeMemory.Alloc((nuint)Size);
        for (ulong at = 0; at < Size; at += Chunk)
        {
            var span = _memory.GetSpan(new GuestAddress(Base + at), (int)Math.Min(Chunk, Size - at));
            span.Fill(0x5A);
            span.CopyTo(new Span<byte>(_copy + at, span.Length));
        }
        _snapshot = Witness ? GuestSnapshot.Take(_memory, new WriteWitness()) : GuestSnapshot.Take(_memory);
        _pagemap = DirtyTracking.OpenPagemap();
        var random = new SplitMix64(0x5A5A);
        int pages = Dirty == "16 pages" ? 16 : (int)(Size / Page / 100);
        _dirty = Enumerable.Range(0, pages).Select(_ => Base + random.Below(Size / Page) * Page).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pagemap.Dispose();
        _snapshot.Dispose();
        _memory.Dispose();
        NativeMemory.Free(_copy);
    }

    [IterationSetup]
    public void WritePages()
    {
        foreach (ulong address in _dirty)
        {
            _memory.WriteUInt32(new GuestAddress(address), 0xDEADBEEF);
        }
    }

    [Benchmark(Baseline = true)]
    public void FullCopy()
    {
        for (ulong at = 0; at < Size; at += Chunk)
        {
            int length = (int)Math.Min(Chunk, Size - at);
            new ReadOnlySpan<byte>(_copy + at, length).CopyTo(new Span<byte>(Host + at, length));
        }
    }

    [Benchmark]
    public ulong DirtyPagesOnly() => _snapshot.Restore().Pages;

    /// <summary>The floor under a restore: one kernel walk of the RAM's page table for written pages, nothing copied or protected.</summary>
    internal int WalkOnly()
    {
        ulong start = (ulong)Host, end = start + Size;
        int found = 0;
        while (start < end)
        {
            found += DirtyTracking.Scan(_pagemap, start, end, DirtyTracking.PageIsWritten, _runs, out ulong walkEnd);
            if (walkEnd <= start)
            {
                break;
            }
            start = walkEnd;
        }
        return found;
    }
}
