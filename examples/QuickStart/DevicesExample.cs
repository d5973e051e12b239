using System.Text;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Examples;

/// <summary>The seed's library example with a real template, plus a device file and the map picture; kept runnable and under test.</summary>
public static class DevicesExample
{
    /// <summary>Loads STM32F103, writes and reads "Hello IoT!", translates it; then loads a TOML device and draws its map.</summary>
    public static void Run(TextWriter output)
    {
        // begin-snippet: devices
        // Load the STM32F103 template and back it with host memory.
        using var mem = DeviceMemory.Allocate(DeviceTemplates.Load("STM32F103"));

        // Write to and read from a firmware address.
        var sram = new GuestAddress(0x2000_0000);
        mem.Main.Write(sram, "Hello IoT!"u8);
        var data = new byte[10];
        mem.Main.Read(sram, data);
        output.WriteLine($"Read: \"{Encoding.ASCII.GetString(data)}\"");

        // Translate guest → host.
        output.WriteLine($"Guest {sram} → Host 0x{mem.Main.Translate(sram):x}");

        // Bit-banding: word n of the SRAM alias is bit n of SRAM's first byte ('H' = 0x48, so bit 3 is 1).
        output.WriteLine($"Bit 3 of 'H' through the bit-band alias: {mem.Main.ReadUInt32(new GuestAddress(0x2200_0000 + 3 * 4))}");

        // A device of your own, from TOML (YAML and JSON work the same way).
        var custom = DeviceConfigReader.Parse("""
            [device]
            name = "Tiny"
            [[regions]]
            name = "RAM"
            guest_address = "0x1000"
            size = "4KB"
            type = "ram"
            """, DeviceConfigFormat.Toml, "tiny.toml");
        output.Write(DeviceMapPicture.ToText(custom));
        // end-snippet
    }
}
