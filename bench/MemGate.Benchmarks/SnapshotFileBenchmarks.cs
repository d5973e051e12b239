using BenchmarkDotNet.Attributes;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Benchmarks;

/// <summary>
/// Starting a CortexA53 virt machine (2 GiB of RAM, 128 MiB of flash) from a snapshot file, memory mapped
/// copy-on-write: <see cref="FirmwareMachine.FromSnapshotFile"/> against building the same machine and
/// loading its image from reset (<see cref="FirmwareMachine.Create"/> + Load), in the same run. The
/// snapshot was taken 50 instructions into examples/firmware/a53-virt/hello.elf. Target: the start from
/// the file within 1 ms. Each invocation includes the machine's tear-down; <see cref="SnapshotStartQuickRun"/>
/// times the start alone.
/// </summary>
public class SnapshotFileBenchmarks
{
    private string _directory = "";
    private string _file = "";

    /// <summary>The snapshot file <see cref="Setup"/> wrote.</summary>
    public string File => _file;
    private FirmwareImage _image = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("memgate-bench-snapfile").FullName;
        _file = Path.Combine(_directory, "a53.mgsnap");
        _image = FirmwareReader.Load(Path.Combine(FirmwareRunBenchmarks.FindRoot(), "examples", "firmware", "a53-virt", "hello.elf"));
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        machine.Load(_image);
        machine.Run(maxInstructions: 50);
        machine.SaveSnapshotFile(_file);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>A new machine from the file, ready to continue.</summary>
    [Benchmark]
    public ulong StartFromFile()
    {
        using var machine = FirmwareMachine.FromSnapshotFile(_file, TextWriter.Null);
        return machine.ProgramCounter;
    }

    /// <summary>Baseline: a new machine with the image loaded (it would then still have to boot).</summary>
    [Benchmark(Baseline = true)]
    public ulong CreateAndLoad()
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        machine.Load(_image);
        return machine.Instructions;
    }
}
