using BenchmarkDotNet.Attributes;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Benchmarks;

/// <summary>
/// The same firmware (examples/firmware/stm32f103/loops.elf: 2 M xorshift iterations, or 512 000 word
/// stores to SRAM, or both, then SYS_EXIT) on Unicorn twice in the same run: once on MemGate's own pages
/// (uc_mem_map_ptr, the product), once in engine-owned memory (uc_mem_map, raw Unicorn — the baseline).
/// Target: MemGate ≥ 0.95× raw. MIPS = the run's instruction count (printed once in setup) / time.
/// </summary>
public class FirmwareRunBenchmarks
{
    /// <summary>Which loops run: written to the firmware's loop_mode word in flash (1 compute, 2 stores, 3 both).</summary>
    [Params(1, 2, 3)]
    public int LoopMode { get; set; }

    private CortexMMachine _memgate = null!;
    private CortexMMachine _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        string elf = Path.Combine(FindRoot(), "examples", "firmware", "stm32f103", "loops.elf");
        var device = DeviceTemplates.Load("STM32F103");
        _memgate = CortexMMachine.Create(device, TextWriter.Null);
        _raw = CortexMMachine.Create(device, TextWriter.Null, new FirmwareMachineOptions(), engineOwned: true);
        var image = FirmwareReader.Load(elf);
        var mode = image.Symbols.Single(s => s.Name == "loop_mode");
        foreach (var machine in (CortexMMachine[])[_memgate, _raw])
        {
            machine.Load(image);
            machine.Memory.Main.Debug.WriteUInt32(new GuestAddress(mode.Address), (uint)LoopMode);
        }
        Console.WriteLine($"// loop mode {LoopMode}: {_memgate.Run().Instructions:N0} instructions per run");
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

    internal static string FindRoot()
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
