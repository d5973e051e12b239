// The README's library examples, run one after the other.
// Run it from the repository root with: dotnet run --project examples/QuickStart
using MemGate.Examples;

QuickStartExample.Run(Console.Out);
RangesExample.Run(Console.Out);
DevicesExample.Run(Console.Out);
PeripheralsExample.Run(Console.Out);
CpuRegistersExample.Run(Console.Out);
FirmwareExample.Run(Path.Combine("examples", "firmware", "riscv-virt", "hello-rv32.elf"), Console.Out);
try
{
    string tasks = Path.Combine("examples", "firmware", "stm32f103", "tasks.elf");
    SnapshotExample.RunFromMemorySnapshot(tasks, Console.Out);
    SnapshotExample.RunFromMachineSnapshot(tasks, Console.Out);
}
catch (NotSupportedException e)
{
    Console.WriteLine($"Snapshots are not available here: {e.Message}");
}
