using MemGate.Ranges;

namespace MemGate.Examples;

/// <summary>The README's address-space example (libmmap's API in C#), kept runnable and under test.</summary>
public static class RangesExample
{
    /// <summary>Maps, protects, queries and unmaps pages, then restores the original layout.</summary>
    public static void Run(TextWriter output)
    {
        // begin-snippet: ranges
        var space = new AddressSpace(start: 0x10000, length: 64UL << 30, pageSize: 4096);

        ulong code = space.MapAny(3 * 4096, MapInfo.Anonymous(protection: 5));    // lowest fitting gap
        space.MarkOriginal();                                                      // the "boot" layout

        ulong heap = space.MapAny(16 * 4096, MapInfo.Anonymous(protection: 3));
        space.Protect(heap, 4096, protection: 1, (address, length, previous) =>
            output.WriteLine($"protect 0x{address:X} +0x{length:X} (was {previous.Protection})"));
        space.MapAt(code + 4096, 4096, MapInfo.Anonymous(protection: 7), (address, length, previous) =>
            output.WriteLine($"replaced 0x{address:X} +0x{length:X} (was {previous.Protection})"));

        space.QueryPage(heap, out var info);
        output.WriteLine($"heap page at 0x{heap:X}: protection {info.Protection}");

        space.UnmapNonOriginal((address, length, previous) =>
            output.WriteLine($"unmapped 0x{address:X} +0x{length:X}"));
        output.WriteLine($"{space.MappingCount} mappings, {space.GapCount} gap(s)");
        // end-snippet
    }
}
