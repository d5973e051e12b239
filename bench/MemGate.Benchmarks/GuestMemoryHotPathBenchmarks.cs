using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemGate.Memory;

namespace MemGate.Benchmarks;

/// <summary>
/// Random 4-byte accesses, split so each cost shows on its own: read-only, write-only and 50/50 loops
/// (even positions read, odd positions write: the choice is fixed, so no loop has a data-dependent
/// branch), over a DRAM-sized working set (8 regions of 64 MiB at i &lt;&lt; 28) and a cache-resident one
/// (8 of 16 KiB). Each access path runs the same loop over the same stream (SplitMix64, seed 0x5EED; the
/// vm-memory anchor in bench/vm-memory-anchor uses it too): a raw pointer into one buffer (the baseline),
/// a raw pointer with one page-bitmap test, and MemGate's checked API and <see cref="GuestMemoryAccessor"/>
/// on a 32-bit (flat) and a 64-bit (region table) memory. Every page is written in setup.
/// </summary>
[MinColumn]
[IterationCount(9)] // also under --quick: the figures are minimums, and 3 iterations on a busy 2-core machine are too few
public unsafe class GuestMemoryHotPathBenchmarks
{
    private const int Operations = 4_000_000;

    /// <summary>Accesses per benchmark call.</summary>
    public const int OperationCount = Operations;
    private const int Regions = 8;

    /// <summary>How much memory the accesses spread over.</summary>
    public enum Size
    {
        /// <summary>8 x 64 MiB: every access misses the caches and the TLB.</summary>
        Dram,

        /// <summary>8 x 16 KiB: everything stays in L1/L2.</summary>
        Cache,
    }

    /// <summary>What each loop iteration does.</summary>
    public enum Mix
    {
        /// <summary>Loads only.</summary>
        Read,

        /// <summary>Stores only.</summary>
        Write,

        /// <summary>A load, then a store, alternating.</summary>
        Mixed,
    }

    private ulong[] _guest = null!;     // guest addresses
    private ulong[] _flat = null!;      // the same accesses as offsets into the raw buffer
    private byte* _raw;
    private ulong* _rawPages;           // one bit per page of the raw buffer, all set
    private GuestMemory _memory32 = null!;
    private GuestMemory _memory64 = null!;

    /// <summary>The working set.</summary>
    [Params(Size.Dram, Size.Cache)]
    public Size WorkingSet { get; set; }

    /// <summary>The loop.</summary>
    [Params(Mix.Read, Mix.Write, Mix.Mixed)]
    public Mix Loop { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ulong regionSize = WorkingSet == Size.Dram ? 64UL << 20 : 16UL << 10;
        var random = new SplitMix64(0x5EED);
        _guest = new ulong[Operations];
        _flat = new ulong[Operations];
        for (int i = 0; i < Operations; i++)
        {
            ulong region = random.Below(Regions);
            ulong offset = random.Below(regionSize / 4) * 4;
            _guest[i] = (region << 28) + offset;
            _flat[i] = region * regionSize + offset;
        }
        ulong rawSize = Regions * regionSize;
        _raw = (byte*)NativeMemory.AlignedAlloc((nuint)rawSize, 4096);
        new Span<byte>(_raw, (int)rawSize).Fill(1); // resident, not the shared zero page
        ulong words = (rawSize >> 12) / 64 + 1;
        _rawPages = (ulong*)NativeMemory.Alloc((nuint)(words * sizeof(ulong)));
        new Span<ulong>(_rawPages, (int)words).Fill(ulong.MaxValue);
        _memory32 = Create(32, regionSize);
        _memory64 = Create(64, regionSize);
    }

    private static GuestMemory Create(int width, ulong regionSize)
    {
        var memory = GuestMemory.Create(
            Enumerable.Range(0, Regions).Select(i => GuestRegion.Ram($"RAM{i}", (ulong)i << 28, regionSize)),
            new GuestMemoryOptions { AddressWidth = width });
        foreach (var region in memory.Regions)
        {
            memory.GetSpan(region.Start, (int)region.Size).Fill(1);
        }
        return memory;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_raw);
        NativeMemory.Free(_rawPages);
        _memory32.Dispose();
        _memory64.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public uint Raw() => Run(new RawAccess(_raw), _flat);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint RawOneTest() => Run(new OneTestAccess(_raw, _rawPages), _flat);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Checked32() => Run(new CheckedAccess(_memory32), _guest);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Accessor32() => Run(new AccessorAccess(_memory32.GetAccessor()), _guest);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Checked64() => Run(new CheckedAccess(_memory64), _guest);

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint Accessor64() => Run(new AccessorAccess(_memory64.GetAccessor()), _guest);

    // One call per loop kind; each is specialised for the access struct, so the access inlines.
    private uint Run<TAccess>(TAccess access, ulong[] ops) where TAccess : struct, IAccess => Loop switch
    {
        Mix.Read => ReadLoop(access, ops),
        Mix.Write => WriteLoop(access, ops),
        _ => MixedLoop(access, ops),
    };

    // Each loop is its own method, with every callee-saved register for itself, and fully optimised from
    // the first call, so both harnesses (BenchmarkDotNet and --hotpath-plain) time the same machine code.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static uint ReadLoop<TAccess>(TAccess access, ulong[] ops) where TAccess : struct, IAccess
    {
        uint sum = 0;
        for (int i = 0; i < ops.Length; i++)
        {
            sum += access.Read(ops[i]);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static uint WriteLoop<TAccess>(TAccess access, ulong[] ops) where TAccess : struct, IAccess
    {
        for (int i = 0; i < ops.Length; i++)
        {
            access.Write(ops[i], (uint)i);
        }
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static uint MixedLoop<TAccess>(TAccess access, ulong[] ops) where TAccess : struct, IAccess
    {
        uint sum = 0;
        for (int i = 0; i + 1 < ops.Length; i += 2)
        {
            sum += access.Read(ops[i]);
            access.Write(ops[i + 1], (uint)i);
        }
        return sum;
    }

    /// <summary>One way to load and store a u32 at an address of its stream.</summary>
    public interface IAccess
    {
        /// <summary>Loads.</summary>
        uint Read(ulong at);

        /// <summary>Stores.</summary>
        void Write(ulong at, uint value);
    }

    private readonly struct RawAccess(byte* raw) : IAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Read(ulong at) => Unsafe.ReadUnaligned<uint>(raw + at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ulong at, uint value) => Unsafe.WriteUnaligned(raw + at, value);
    }

    // The least a per-access check costs: one page bit, tested before the raw access.
    private readonly struct OneTestAccess(byte* raw, ulong* pages) : IAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Read(ulong at)
        {
            ulong page = at >> 12;
            if (((pages[page >> 6] >> (int)page) & 1) == 0)
            {
                Fault(at);
            }
            return Unsafe.ReadUnaligned<uint>(raw + at);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ulong at, uint value)
        {
            ulong page = at >> 12;
            if (((pages[page >> 6] >> (int)page) & 1) == 0)
            {
                Fault(at);
            }
            Unsafe.WriteUnaligned(raw + at, value);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Fault(ulong at) => throw new InvalidOperationException($"page bit clear at {at:X}");
    }

    private readonly struct CheckedAccess(GuestMemory memory) : IAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Read(ulong at) => memory.ReadUInt32(new GuestAddress(at));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ulong at, uint value) => memory.WriteUInt32(new GuestAddress(at), value);
    }

    private readonly struct AccessorAccess(GuestMemoryAccessor accessor) : IAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Read(ulong at) => accessor.ReadUInt32LittleEndian(new GuestAddress(at));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ulong at, uint value) => accessor.WriteUInt32LittleEndian(new GuestAddress(at), value);
    }
}
