using BenchmarkDotNet.Attributes;
using MemGate.Memory;
using MemGate.Snapshots;

namespace MemGate.Benchmarks;

/// <summary>
/// Reset of 256 MiB of guest RAM (every page holding data) after 1 % of its pages were written:
/// <see cref="GuestSnapshot.Restore"/> (kernel-tracked dirty pages, copied back alone) against the
/// baseline a tracker-less reset needs, copying the whole region back from its copy.
/// </summary>
public unsafe class SnapshotBenchmarks
{
    private const ulong Size = 256UL << 20;
    private const int Page = 4096;
    private GuestMemory _memory = null!;
    private GuestSnapshot _snapshot = null!;
    private byte[] _copy = null!;
    private ulong[] _dirty = null!;

    [GlobalSetup]
    public void Setup()
    {
        _memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x8000_0000, Size)], new GuestMemoryOptions { AddressWidth = 64 });
        _memory.GetSpan(new GuestAddress(0x8000_0000), (int)Size).Fill(0x5A);
        _copy = new byte[Size];
        _memory.GetSpan(new GuestAddress(0x8000_0000), (int)Size).CopyTo(_copy);
        _snapshot = GuestSnapshot.Take(_memory);
        var random = new SplitMix64(0x5A5A);
        _dirty = Enumerable.Range(0, (int)(Size / Page / 100)).Select(_ => 0x8000_0000 + random.Below(Size / Page) * Page).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _snapshot.Dispose();
        _memory.Dispose();
    }

    [IterationSetup]
    public void DirtyOnePercent()
    {
        foreach (ulong address in _dirty)
        {
            _memory.WriteUInt32(new GuestAddress(address), 0xDEADBEEF);
        }
    }

    [Benchmark(Baseline = true)]
    public void FullCopy() => _copy.AsSpan().CopyTo(_memory.GetSpan(new GuestAddress(0x8000_0000), (int)Size));

    [Benchmark]
    public ulong DirtyPagesOnly() => _snapshot.Restore().Pages;
}
