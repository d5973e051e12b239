using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemGate.Memory;

namespace MemGate.Benchmarks;

/// <summary>
/// 10,000,000 random 4-byte reads and writes (seed 0x5EED, half each) over 8 regions of 64 MiB at
/// i &lt;&lt; 28: through a 32-bit (flat) memory, a 64-bit (region table) memory, and a raw pointer into
/// one flat 512 MiB buffer with the same access stream (the baseline). Pages are touched in setup.
/// </summary>
public unsafe class GuestMemoryRandomBenchmarks
{
    private const int Operations = 10_000_000;
    private const int Regions = 8;
    private const ulong RegionSize = 64UL << 20;

    private ulong[] _guest = null!;     // guest address | 1 for a write
    private ulong[] _flat = null!;      // the same accesses as offsets into the raw buffer
    private byte* _raw;
    private GuestMemory _memory32 = null!;
    private GuestMemory _memory64 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new SplitMix64(0x5EED);
        _guest = new ulong[Operations];
        _flat = new ulong[Operations];
        for (int i = 0; i < Operations; i++)
        {
            ulong region = random.Below(Regions);
            ulong offset = random.Below(RegionSize / 4) * 4;
            ulong write = random.Next() & 1;
            _guest[i] = (region << 28) + offset | write;
            _flat[i] = region * RegionSize + offset | write;
        }
        _raw = (byte*)NativeMemory.AllocZeroed((nuint)(Regions * RegionSize));
        _memory32 = Create(32);
        _memory64 = Create(64);
    }

    private static GuestMemory Create(int width)
    {
        var memory = GuestMemory.Create(
            Enumerable.Range(0, Regions).Select(i => GuestRegion.Ram($"RAM{i}", (ulong)i << 28, RegionSize)),
            new GuestMemoryOptions { AddressWidth = width });
        foreach (var region in memory.Regions)
        {
            memory.GetSpan(region.Start, (int)region.Size).Clear(); // fault every page in now
        }
        return memory;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.Free(_raw);
        _memory32.Dispose();
        _memory64.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public uint RawPointer()
    {
        uint sum = 0;
        byte* raw = _raw;
        ulong[] ops = _flat;
        for (int i = 0; i < ops.Length; i++)
        {
            ulong op = ops[i];
            if ((op & 1) == 0)
            {
                sum += *(uint*)(raw + op);
            }
            else
            {
                *(uint*)(raw + (op & ~1UL)) = (uint)i;
            }
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Guest32Flat() => Run(_memory32);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Guest64RegionTable() => Run(_memory64);

    private uint Run(GuestMemory memory)
    {
        uint sum = 0;
        ulong[] ops = _guest;
        for (int i = 0; i < ops.Length; i++)
        {
            ulong op = ops[i];
            if ((op & 1) == 0)
            {
                sum += memory.ReadUInt32(new GuestAddress(op));
            }
            else
            {
                memory.WriteUInt32(new GuestAddress(op & ~1UL), (uint)i);
            }
        }
        return sum;
    }
}
