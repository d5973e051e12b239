using BenchmarkDotNet.Attributes;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Fuzzing;
using MemGate.Mmio;

namespace MemGate.Benchmarks;

/// <summary>
/// One fuzzing run of tests/firmware/fuzz/planted.elf (STM32F103, input "FUZZ": four MMIO reads, 25
/// instructions, exit) split into its parts, all in the same run: starting the engine and running the
/// firmware from reset (<see cref="RunFromReset"/>), the same after restoring the machine snapshot
/// (<see cref="RestoreAndRun"/>; the difference is the restore), and <see cref="FuzzTarget.Execute"/>
/// (restore, run, edge counting into a cleared map, the input). Target: at least 20,000 runs/s (50 µs).
/// </summary>
public class FuzzLoopBenchmarks
{
    private static readonly byte[] Input = "FUZZ"u8.ToArray();
    private FuzzTarget _target = null!;
    private FirmwareMachine _machine = null!;
    private MachineSnapshot _snapshot = null!;

    [GlobalSetup]
    public void Setup()
    {
        var image = FirmwareReader.Load(Path.Combine(Root(), "tests", "firmware", "fuzz", "planted.elf"));
        var device = DeviceTemplates.Load("STM32F103");
        _target = FuzzTarget.Create(device, image, new FuzzTargetOptions());
        _machine = FirmwareMachine.Create(device.WithUnmodelled(UnmodelledPolicy.Input), TextWriter.Null, new FirmwareMachineOptions { MmioInput = new MmioInput(Input) });
        _machine.Load(image);
        _snapshot = _machine.TakeSnapshot();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _target.Dispose();
        _snapshot.Dispose();
        _machine.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ulong RunFromReset() => _machine.Run(2_000_000).Instructions;

    [Benchmark]
    public ulong RestoreAndRun()
    {
        _machine.Restore(_snapshot);
        return _machine.Run(2_000_000).Instructions;
    }

    [Benchmark]
    public ulong FuzzExecute() => _target.Execute(Input).Instructions;

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MemGate.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("MemGate.slnx not found above the benchmark's folder.");
    }
}
