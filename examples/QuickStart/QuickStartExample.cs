using System.Text;
using MemGate.Memory;

namespace MemGate.Examples;

/// <summary>The README's library example, kept runnable and under test.</summary>
public static class QuickStartExample
{
    /// <summary>Builds the device, writes and reads "Hello IoT!", translates the SRAM address, and shows flash is read-only.</summary>
    public static void Run(TextWriter output)
    {
        // begin-snippet: guest-memory
        using var memory = GuestMemory.Create(
        [
            GuestRegion.Flash("Flash", 0x0800_0000, 128 * 1024),   // 128 KiB, r-x
            GuestRegion.Ram("SRAM", 0x2000_0000, 20 * 1024),       // 20 KiB, rw-
        ]);

        var sram = new GuestAddress(0x2000_0000);
        memory.Write(sram, "Hello IoT!"u8);

        Span<byte> data = stackalloc byte[10];
        memory.Read(sram, data);
        output.WriteLine($"Read: \"{Encoding.ASCII.GetString(data)}\"");

        nint host = memory.Translate(sram);
        output.WriteLine($"Guest {sram} -> host 0x{host:x}");

        // Firmware may not write its flash; a loader may.
        var flash = new GuestAddress(0x0800_0000);
        try
        {
            memory.WriteUInt32(flash, 0xDEADBEEF);
        }
        catch (GuestPermissionException e)
        {
            output.WriteLine($"Guest write refused: {e.Message}");
        }
        memory.Debug.WriteUInt32(flash, 0x2000_5000);   // initial stack pointer, as a loader would
        output.WriteLine($"Loader wrote flash: {memory.ReadUInt32(flash):X8}");
        // end-snippet
    }
}
