using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemGate.Memory;

namespace MemGate.Benchmarks;

/// <summary>64 MiB read from and written to guest memory, beside Span&lt;byte&gt;.CopyTo between two host buffers.</summary>
public unsafe class GuestMemoryBulkBenchmarks
{
    private const int Size = 64 << 20;
    private static readonly GuestAddress Ram = new(0x2000_0000);

    private byte* _source;
    private byte* _destination;
    private GuestMemory _memory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _source = (byte*)NativeMemory.AllocZeroed(Size);
        _destination = (byte*)NativeMemory.AllocZeroed(Size);
        new Span<byte>(_source, Size).Fill(0x5A);
        new Span<byte>(_destination, Size).Fill(0xA5);
        _memory = GuestMemory.Create([GuestRegion.Ram("RAM", Ram.Value, Size)]);
        _memory.GetSpan(Ram, Size).Fill(0x3C);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.Free(_source);
        NativeMemory.Free(_destination);
        _memory.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void SpanCopyTo() => new ReadOnlySpan<byte>(_source, Size).CopyTo(new Span<byte>(_destination, Size));

    [Benchmark]
    public void GuestRead() => _memory.Read(Ram, new Span<byte>(_destination, Size));

    [Benchmark]
    public void GuestWrite() => _memory.Write(Ram, new ReadOnlySpan<byte>(_source, Size));
}
