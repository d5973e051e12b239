using System.Text;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Debugging;

/// <summary>
/// The device's regions as GDB's memory map (<c>qXfer:memory-map:read</c>): flash as flash, so that
/// <c>load</c> erases and programs it and breakpoints there are hardware ones; ROM as ROM; RAM and
/// peripherals as RAM (GDB refuses accesses outside the map).
/// </summary>
internal static class GdbMemoryMap
{
    // GDB erases flash in blocks of this size; MemGate's flash takes any write, so a small block loses nothing.
    private const ulong FlashBlock = 0x400;

    public static string ToXml(FirmwareMachine machine)
    {
        var xml = new StringBuilder();
        xml.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" \"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n<memory-map>\n");
        foreach (var region in machine.Memory.Main.Regions.OrderBy(r => r.Start.Value))
        {
            string start = $"0x{region.Start.Value:x}", length = $"0x{region.Size:x}";
            xml.Append(region.Kind switch
            {
                RegionKind.Flash when region.Size % FlashBlock == 0 =>
                    $"<memory type=\"flash\" start=\"{start}\" length=\"{length}\"><property name=\"blocksize\">0x{FlashBlock:x}</property></memory>\n",
                RegionKind.Rom => $"<memory type=\"rom\" start=\"{start}\" length=\"{length}\"/>\n",
                _ => $"<memory type=\"ram\" start=\"{start}\" length=\"{length}\"/>\n",
            });
        }
        xml.Append("</memory-map>\n");
        return xml.ToString();
    }
}
