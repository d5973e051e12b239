using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Examples;

/// <summary>The README's CPU-register window example: the AVR template maps R0–R31 into its data space.</summary>
public static class CpuRegistersExample
{
    /// <summary>Sets the Z pointer (R31:R30) through the register file and reads it back through data memory.</summary>
    public static void Run(TextWriter output)
    {
        // begin-snippet: cpu-registers
        using var mem = DeviceMemory.Allocate(DeviceTemplates.Load("ATmega328"));
        var registers = mem.CpuRegisters;
        registers.Write(registers.IndexOf("R30"), 0x34);            // Z low byte
        registers.Write(registers.IndexOf("R31"), 0x12);            // Z high byte

        // R0–R31 sit at data addresses 0x00–0x1F, so a 16-bit read at 30 is the Z pointer.
        ushort z = mem["data"].ReadUInt16(new GuestAddress(30));
        output.WriteLine($"Z = 0x{z:X4}");
        // end-snippet
    }
}
