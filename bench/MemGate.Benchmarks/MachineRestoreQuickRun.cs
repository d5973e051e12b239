using System.Diagnostics;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Benchmarks;

/// <summary>
/// <c>MemGate.Benchmarks --machine-restore [rounds]</c>: a machine snapshot restored after each run of a hello
/// program to its end (memory, CPU and models), on the RV64 template (1 GiB of RAM) with the written pages listed by the
/// engine and memory (the default there) against found by the kernel's walk of the page table, in the same rounds;
/// the same on the CortexA53 (2 GiB; its hello runs with the MMU off, where the engine sees its stores); and the STM32F103
/// (20 KiB) running its hello example, where the walk is short: what reporting costs a run there (the engine's
/// TLB flushed at each restore, a second TLB fill for each page a run writes). Prints the median and the 10th
/// percentile of the restores, and the median of a whole round (run and restore).
/// </summary>
public static class MachineRestoreQuickRun
{
    /// <summary>Runs the rounds and prints the table.</summary>
    public static void Run(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        string examples = Path.Combine(FirmwareRunBenchmarks.FindRoot(), "examples", "firmware");
        // The RV64 and CortexA53 hellos sleep in WFI until timer interrupts: their rounds are the timer's, not the CPU's.
        var cases = new (string Name, string Template, string Image, bool Witness, bool Sleeps)[]
        {
            ("RV64, 1 GiB RAM", "RV64", Path.Combine(examples, "riscv-virt", "hello-rv64.elf"), true, true),
            ("RV64, 1 GiB RAM", "RV64", Path.Combine(examples, "riscv-virt", "hello-rv64.elf"), false, true),
            ("CortexA53, 2 GiB RAM", "CortexA53", Path.Combine(examples, "a53-virt", "hello.elf"), true, true),
            ("CortexA53, 2 GiB RAM", "CortexA53", Path.Combine(examples, "a53-virt", "hello.elf"), false, true),
            ("STM32F103, 20 KiB RAM", "STM32F103", Path.Combine(examples, "stm32f103", "hello.elf"), true, false),
            ("STM32F103, 20 KiB RAM", "STM32F103", Path.Combine(examples, "stm32f103", "hello.elf"), false, false),
        };
        Console.WriteLine($"| machine | found by | restore, median ({rounds} rounds) | 10th percentile | pages copied | run and restore, median |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (name, template, image, witness, sleeps) in cases)
        {
            using var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), TextWriter.Null);
            machine.Load(FirmwareReader.Load(image));
            machine.WitnessWrites = witness;
            machine.Run(maxInstructions: 20, timeout: TimeSpan.FromSeconds(10));
            using var snapshot = machine.TakeSnapshot();
            var times = new List<double>();
            var whole = new List<double>();
            ulong pages = 0;
            bool fromWitness = false;
            for (int round = -rounds / 10; round < rounds; round++)
            {
                long started = Stopwatch.GetTimestamp();
                machine.Continue(timeout: TimeSpan.FromSeconds(10));
                long at = Stopwatch.GetTimestamp();
                var restore = machine.Restore(snapshot);
                double micros = Stopwatch.GetElapsedTime(at).TotalMicroseconds;
                if (round >= 0)
                {
                    times.Add(micros);
                    whole.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    (pages, fromWitness) = (restore.Pages, restore.FromWitness);
                }
            }
            times.Sort();
            whole.Sort();
            Console.WriteLine($"| {name} | {(fromWitness ? "witness" : "walk")} | {times[times.Count / 2]:F1} µs | {times[times.Count / 10]:F1} µs | {pages} | {(sleeps ? "(sleeps on its timer)" : $"{whole[whole.Count / 2]:F1} µs")} |");
        }
    }
}
