using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Snapshots;

namespace MemGate.Examples;

/// <summary>The README's snapshot examples: undo a run's memory writes, and rewind a machine to a point after boot.</summary>
public static class SnapshotExample
{
    /// <summary>Runs <paramref name="elf"/> (examples/firmware/stm32f103/tasks.elf) once and undoes its memory writes.</summary>
    /// <exception cref="NotSupportedException">The kernel cannot track writes (Linux 6.7 and userfaultfd are needed).</exception>
    public static void RunFromMemorySnapshot(string elf, TextWriter output)
    {
        // begin-snippet: snapshot-memory
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Load(FirmwareReader.Load(elf));

        using var snapshot = GuestSnapshot.Take(machine.Memory.Main);   // after loading the firmware
        RunResult first = machine.Run(timeout: TimeSpan.FromSeconds(10));
        SnapshotRestore undo = snapshot.Restore();                       // copies back only the pages written
        output.WriteLine($"run: {first.Instructions:N0} instructions; restored {undo.Pages} page(s)");
        // end-snippet
    }

    /// <summary>Boots <paramref name="elf"/>, snapshots the whole machine, and runs the rest three times from there.</summary>
    /// <exception cref="NotSupportedException">The kernel cannot track writes (Linux 6.7 and userfaultfd are needed).</exception>
    public static void RunFromMachineSnapshot(string elf, TextWriter output)
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Load(FirmwareReader.Load(elf));
        // begin-snippet: snapshot-machine
        machine.Run(maxInstructions: 1500);                    // boot to the interesting point
        using var booted = machine.TakeSnapshot();             // memory, CPU registers, NVIC, SysTick, USART
        for (int i = 0; i < 3; i++)
        {
            RunResult rest = machine.Continue(timeout: TimeSpan.FromSeconds(10));
            output.WriteLine($"iteration {i}: {rest.Reason}, {rest.Instructions:N0} instructions");
            machine.Restore(booted);                           // back to just after boot
        }
        // end-snippet
    }
}
