using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Examples;

/// <summary>The README's peripheral example: a register block with field behaviours, reached through guest memory, traced.</summary>
public static class PeripheralsExample
{
    /// <summary>Defines a small UART, lets "firmware" poll, clear flags and write data, and prints the trace.</summary>
    public static void Run(TextWriter output)
    {
        // begin-snippet: peripherals
        bool enabled = false;
        var uart = new RegisterBlock("UART0", 0x400,
        [
            new RegisterDefinition("SR", 0x00, 32)
            {
                ResetValue = 0x80,
                Fields =
                [
                    new RegisterField("TXE", 7, 1) { Access = FieldAccess.ReadOnly },
                    new RegisterField("READY", 0, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => enabled ? 1UL : 0 },
                ],
            },
            new RegisterDefinition("DR", 0x04, 32) { Fields = [new RegisterField("DATA", 0, 8) { OnWrite = (_, b) => output.Write((char)b) }] },
            new RegisterDefinition("CR", 0x08, 32) { Fields = [new RegisterField("EN", 0, 1) { OnWrite = (_, on) => enabled = on != 0 }] },
            new RegisterDefinition("ISR", 0x0C, 32) { Fields = [new RegisterField("FLAGS", 0, 8) { WriteAction = WriteAction.OneToClear }] },
        ], policy: UnmodelledAccessPolicy.Fault, baseAddress: 0x4000_0000);

        var log = new MemoryStream();
        using var trace = new MmioTrace(log);
        using var memory = GuestMemory.Create(
        [
            GuestRegion.Ram("SRAM", 0x2000_0000, 0x1000),
            GuestRegion.Mmio("UART0", 0x4000_0000, 0x400, new TracingMmioHandler(uart, trace, "UART0", 0x4000_0000)),
        ]);

        // What firmware does: enable, poll READY, write bytes, acknowledge an interrupt flag.
        var sr = new GuestAddress(0x4000_0000);
        memory.WriteUInt32(new GuestAddress(0x4000_0008), 1);
        while ((memory.ReadUInt32(sr) & 1) == 0) { }
        foreach (byte b in "hi\n"u8)
        {
            memory.WriteUInt32(new GuestAddress(0x4000_0004), b);
        }
        uart.Poke("ISR", 0b101);                                  // the model raises two flags
        memory.WriteUInt32(new GuestAddress(0x4000_000C), 0b001); // firmware clears one (write 1 to clear)
        output.WriteLine($"ISR = 0b{memory.ReadUInt32(new GuestAddress(0x4000_000C)):b}");

        trace.Flush();
        output.WriteLine($"{trace.Count} MMIO accesses traced; the first:");
        output.WriteLine(System.Text.Encoding.UTF8.GetString(log.ToArray()).Split('\n')[0]);
        // end-snippet
    }
}
