using System.Buffers.Binary;
using System.Text;
using MemGate.Memory;

namespace MemGate.Fuzzing;

/// <summary>
/// Basic-block coverage in DynamoRIO's drcov format (version 2), which Lighthouse (IDA, Binary Ninja),
/// Cartographer and dragondance (Ghidra) load: a module table, then one 8-byte record per block (offset
/// from its module's base, size, module id). Each memory region holding covered blocks is a module, named
/// after the firmware image (so the disassembler matches it; callers pass the image run, or the file the device loads
/// its code from) or else after the region.
/// </summary>
public static class DrcovCoverage
{
    /// <summary>Writes <paramref name="blocks"/> (address → size) found in <paramref name="regions"/> as a drcov file.</summary>
    /// <exception cref="ArgumentException">A block lies outside every region, or more than 4 GiB from its region's start (drcov offsets are 32-bit).</exception>
    public static void Write(Stream stream, IReadOnlyDictionary<ulong, uint> blocks, IReadOnlyList<GuestRegion> regions, string? imageName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(regions);
        var modules = new List<GuestRegion>();
        var records = new List<(uint Offset, ushort Size, ushort Module)>(blocks.Count);
        foreach (var (address, size) in blocks.OrderBy(b => b.Key))
        {
            var region = regions.FirstOrDefault(r => r.Contains(new GuestAddress(address)))
                ?? throw new ArgumentException($"Block 0x{address:X} lies in no region of the device.", nameof(blocks));
            int module = modules.IndexOf(region);
            if (module < 0)
            {
                modules.Add(region);
                module = modules.Count - 1;
            }
            ulong offset = address - region.Start.Value;
            if (offset > uint.MaxValue)
            {
                throw new ArgumentException($"Block 0x{address:X} is {offset:N0} bytes into region '{region.Name}': drcov offsets are 32-bit.", nameof(blocks));
            }
            records.Add(((uint)offset, (ushort)Math.Min(size, ushort.MaxValue), (ushort)module));
        }
        var header = new StringBuilder();
        header.Append("DRCOV VERSION: 2\nDRCOV FLAVOR: memgate\n");
        header.Append($"Module Table: version 2, count {modules.Count}\n");
        header.Append("Columns: id, base, end, entry, checksum, timestamp, path\n");
        for (int i = 0; i < modules.Count; i++)
        {
            var region = modules[i];
            string path = imageName ?? region.Name;
            header.Append($"{i,2}, 0x{region.Start.Value:x16}, 0x{region.Start.Value + region.Size:x16}, 0x0000000000000000, 0x00000000, 0x00000000, {path}\n");
        }
        header.Append($"BB Table: {records.Count} bbs\n");
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
        Span<byte> record = stackalloc byte[8];
        foreach (var (offset, size, module) in records)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, offset);
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(record[6..], module);
            stream.Write(record);
        }
    }
}
