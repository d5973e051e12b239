using BenchmarkDotNet.Attributes;
using MemGate.Memory;
using MemGate.Native;

namespace MemGate.Benchmarks;

/// <summary>Creating (and disposing) a device with 2 GiB of RAM and 1 GiB of flash, beside one raw 3 GiB mmap + munmap.</summary>
public class LargeDeviceBenchmarks
{
    [Benchmark(Baseline = true)]
    public void RawMmap()
    {
        const ulong size = 3UL << 30;
        nint p = Libc.MmapOrThrow(0, size, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
        Libc.MunmapOrThrow(p, size);
    }

    [Benchmark]
    public void Create32BitDevice()
    {
        using var memory = GuestMemory.Create([GuestRegion.Flash("Flash", 0, 1UL << 30), GuestRegion.Ram("DRAM", 0x8000_0000, 2UL << 30)]);
    }

    [Benchmark]
    public void Create64BitDevice()
    {
        using var memory = GuestMemory.Create([GuestRegion.Flash("Flash", 0, 1UL << 30), GuestRegion.Ram("DRAM", 0x8000_0000, 2UL << 30)],
            new GuestMemoryOptions { AddressWidth = 64 });
    }
}
