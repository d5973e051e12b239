using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemGate.Processes;

namespace MemGate.Benchmarks;

/// <summary>
/// Search throughput over 1 GiB of a live process (this one: a touched 1 GiB anonymous buffer) beside
/// a plain process_vm_readv read of the same bytes in the same chunks. Target: search ≥ 80 % of the read bandwidth.
/// </summary>
public unsafe class ProcessSearchBenchmarks
{
    private const long Size = 1L << 30;
    private byte* _buffer;
    private ProcessRegion _range = null!;
    private SearchPattern _pattern = null!;
    private readonly int _pid = Environment.ProcessId;

    [GlobalSetup]
    public void Setup()
    {
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 4096);
        for (long at = 0; at < Size; at += int.MaxValue / 2)
        {
            new Span<byte>(_buffer + at, (int)Math.Min(int.MaxValue / 2, Size - at)).Fill(0x5A);
        }
        ulong start = (ulong)_buffer;
        _range = new ProcessRegion(start, start + (ulong)Size, "rw-p", 0, "00:00", 0, "");
        _pattern = SearchPattern.FromHex("DE AD ?? EF 12 34");   // absent: the whole gigabyte is scanned
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_buffer);

    [Benchmark(Baseline = true)]
    public long PlainRead()
    {
        var chunk = new byte[ProcessSearch.DefaultChunk];
        long total = 0;
        for (ulong at = _range.Start; at < _range.End; at += (ulong)chunk.Length)
        {
            ProcessMemory.Read(_pid, at, chunk);
            total += chunk.Length;
        }
        return total;
    }

    [Benchmark]
    public ulong Search() => ProcessSearch.Search(_pid, _pattern, [_range], max: 1).BytesScanned;
}
