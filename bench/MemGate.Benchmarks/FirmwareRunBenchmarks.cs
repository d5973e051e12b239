using BenchmarkDotNet.Attributes;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Benchmarks;

/// <summary>
/// The same firmware (examples/firmware/stm32f103/loops.elf: 2 M xorshift iterations, then 512 000 word
/// stores to SRAM, then SYS_EXIT) on Unicorn twice in the same run: once on MemGate's own pages
/// (uc_mem_map_ptr, the product), once in engine-owned memory (uc_mem_map, raw Unicorn — the baseline).
/// Target: MemGate ≥ 0.95× raw.
/// </summary>
public class FirmwareRunBenchmarks
{
    private CortexMMachine _memgate = null!;
    private CortexMMachine _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        string elf = Path.Combine(FindRoot(), "examples", "firmware", "stm32f103", "loops.elf");
        var device = DeviceTemplates.Load("STM32F103");
        _memgate = CortexMMachine.Create(device, TextWriter.Null);
        _raw = CortexMMachine.Create(device, TextWriter.Null, null, null, engineOwned: true);
        var image = FirmwareReader.Load(elf);
        image.LoadInto(_memgate.Memory);
        image.LoadInto(_raw.Memory);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memgate.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int? RawUnicorn() => _raw.Run().ExitCode;

    [Benchmark]
    public int? MemGateMemory() => _memgate.Run().ExitCode;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MemGate.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Run the benchmarks from the repository (MemGate.slnx not found above the binaries).");
    }
}
