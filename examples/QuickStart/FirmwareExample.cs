using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Examples;

/// <summary>The README's firmware example: an ELF on the RV32 virt machine, its UART output and what it left in guest memory.</summary>
public static class FirmwareExample
{
    /// <summary>Runs <paramref name="elf"/> (examples/firmware/riscv-virt/hello-rv32.elf) and reports on it.</summary>
    public static void Run(string elf, TextWriter writer)
    {
        // begin-snippet: firmware
        var uart = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("RV32"), uart);
        var image = FirmwareReader.Load(elf);
        machine.Load(image);                                   // segments into DRAM, entry point remembered
        RunResult result = machine.Run(timeout: TimeSpan.FromSeconds(10));

        writer.Write(uart);                                    // "Hello from RV32 virt!\nticks: 3\n"
        writer.WriteLine($"{result.Reason}, code {result.ExitCode}, {result.Instructions:N0} instructions");
        // The firmware ran on MemGate's pages: its variables are readable from the host.
        var ticks = image.Symbols.Single(s => s.Name == "ticks");
        writer.WriteLine($"ticks = {machine.Memory.Main.ReadUInt32(new GuestAddress(ticks.Address))}");
        // end-snippet
    }
}
