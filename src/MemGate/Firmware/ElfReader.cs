using System.Buffers.Binary;
using System.Text;

namespace MemGate.Firmware;

/// <summary>
/// Reads ELF32 and ELF64 images of either byte order: PT_LOAD segments at their physical (load)
/// addresses — so an image linked to run from RAM but stored in flash lands in flash — zero-filled to
/// their memory size where they run where they are stored, the entry point, the function and object symbols of .symtab,
/// and the header's machine, class, byte order and flags (<see cref="ImageArchitecture"/>).
/// </summary>
public static class ElfReader
{
    private const uint PtLoad = 1;
    private const uint ShtSymtab = 2;

    /// <summary>Most bytes one image may load (all segments together): far above any microcontroller's memory.</summary>
    public const long MaxLoadBytes = 512L << 20;

    /// <summary>Whether <paramref name="data"/> starts with the ELF magic.</summary>
    public static bool IsElf(ReadOnlySpan<byte> data) => data.Length >= 4 && data[0] == 0x7F && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';

    /// <summary>Reads an ELF image; <paramref name="file"/> names it in errors.</summary>
    public static FirmwareImage Read(byte[] data, string file)
    {
        if (!IsElf(data) || data.Length < 0x34)
        {
            throw new FirmwareFormatException(file, "header", "not an ELF file, or shorter than an ELF header");
        }
        bool is64 = data[4] switch
        {
            1 => false,
            2 => true,
            var c => throw new FirmwareFormatException(file, "header", $"EI_CLASS {c} is neither ELF32 (1) nor ELF64 (2)"),
        };
        bool big = data[5] switch
        {
            1 => false,
            2 => true,
            var d => throw new FirmwareFormatException(file, "header", $"EI_DATA {d} is neither little (1) nor big endian (2)"),
        };
        var r = new Fields(data, big, file);
        if (is64 && data.Length < 0x40)
        {
            throw new FirmwareFormatException(file, "header", "truncated ELF64 header");
        }
        var architecture = new ImageArchitecture(r.U16(0x12), is64 ? 64 : 32, big ? Memory.ByteOrder.BigEndian : Memory.ByteOrder.LittleEndian, r.U32(is64 ? 0x30UL : 0x24UL));
        ulong entry = is64 ? r.U64(0x18) : r.U32(0x18);
        ulong phoff = is64 ? r.U64(0x20) : r.U32(0x1C);
        ulong shoff = is64 ? r.U64(0x28) : r.U32(0x20);
        int phentsize = r.U16(is64 ? 0x36UL : 0x2AUL);
        int phnum = r.U16(is64 ? 0x38UL : 0x2CUL);
        int shentsize = r.U16(is64 ? 0x3AUL : 0x2EUL);
        int shnum = r.U16(is64 ? 0x3CUL : 0x30UL);

        // Headers smaller than the format's make consecutive headers overlap (e_phentsize 0 reads one header 65535 times).
        if (phnum > 0 && phentsize < (is64 ? 56 : 32))
        {
            throw new FirmwareFormatException(file, "header", $"e_phentsize {phentsize} is smaller than a program header ({(is64 ? 56 : 32)} bytes)");
        }
        var segments = new List<FirmwareSegment>();
        var runs = new List<FirmwareRunRange>();
        long loaded = 0;
        for (int i = 0; i < phnum; i++)
        {
            ulong h = phoff + (ulong)i * (ulong)phentsize;
            string where = $"program header {i}";
            r.Need(h, (ulong)phentsize, where);
            uint type = r.U32(h);
            if (type != PtLoad)
            {
                continue;
            }
            ulong offset = is64 ? r.U64(h + 8) : r.U32(h + 4);
            ulong vaddr = is64 ? r.U64(h + 16) : r.U32(h + 8);
            ulong paddr = is64 ? r.U64(h + 24) : r.U32(h + 12);
            ulong filesz = is64 ? r.U64(h + 32) : r.U32(h + 16);
            ulong memsz = is64 ? r.U64(h + 40) : r.U32(h + 20);
            if (memsz == 0)
            {
                continue;
            }
            if (filesz > memsz || memsz - 1 > ulong.MaxValue - paddr || memsz - 1 > ulong.MaxValue - vaddr)
            {
                throw new FirmwareFormatException(file, where, $"segment at 0x{paddr:X} has file size 0x{filesz:X} and memory size 0x{memsz:X}");
            }
            if (!is64 && (memsz - 1 > uint.MaxValue - paddr || memsz - 1 > uint.MaxValue - vaddr))
            {
                throw new FirmwareFormatException(file, where, $"ELF32 segment at 0x{paddr:X} of 0x{memsz:X} bytes reaches past 4 GiB");
            }
            ulong size = paddr == vaddr ? memsz : filesz;
            loaded += (long)Math.Min(size, (ulong)MaxLoadBytes + 1);
            if (loaded > MaxLoadBytes)
            {
                throw new FirmwareFormatException(file, where, $"segment at 0x{paddr:X} of 0x{memsz:X} bytes brings the image past the {MaxLoadBytes >> 20} MiB MemGate loads");
            }
            r.Need(offset, filesz, $"segment {i} (0x{paddr:X})");
            // Stored elsewhere than it runs (.data in flash, run from RAM): only the file bytes belong at the
            // load address; the startup code copies them and clears the rest (.bss) at the run address.
            var bytes = new byte[size];
            data.AsSpan((int)offset, (int)filesz).CopyTo(bytes);
            segments.Add(new FirmwareSegment(paddr, bytes, $"segment {i}"));
            if (paddr != vaddr)
            {
                runs.Add(new FirmwareRunRange(vaddr, memsz, paddr, $"segment {i}"));
            }
        }
        if (segments.Count == 0)
        {
            throw new FirmwareFormatException(file, "program headers", "no PT_LOAD segment: nothing to load");
        }
        return new FirmwareImage(file, FirmwareFormat.Elf, segments, entry, Symbols(r, is64, shoff, shentsize, shnum), architecture) { RunRanges = runs };
    }

    private static List<FirmwareSymbol> Symbols(Fields r, bool is64, ulong shoff, int shentsize, int shnum)
    {
        var symbols = new List<FirmwareSymbol>();
        if (shoff == 0 || shnum == 0)
        {
            return symbols;
        }
        if (shentsize < (is64 ? 64 : 40))
        {
            throw new FirmwareFormatException(r.File, "header", $"e_shentsize {shentsize} is smaller than a section header ({(is64 ? 64 : 40)} bytes)");
        }
        for (int i = 0; i < shnum; i++)
        {
            ulong h = shoff + (ulong)i * (ulong)shentsize;
            r.Need(h, (ulong)shentsize, $"section header {i}");
            if (r.U32(h + 4) != ShtSymtab)
            {
                continue;
            }
            ulong offset = is64 ? r.U64(h + 0x18) : r.U32(h + 0x10);
            ulong size = is64 ? r.U64(h + 0x20) : r.U32(h + 0x14);
            uint link = r.U32(h + (is64 ? 0x28UL : 0x18UL));
            ulong entsize = is64 ? r.U64(h + 0x38) : r.U32(h + 0x24);
            ulong strHeader = shoff + (ulong)link * (ulong)shentsize;
            r.Need(strHeader, (ulong)shentsize, $"section header {link}");
            ulong strOffset = is64 ? r.U64(strHeader + 0x18) : r.U32(strHeader + 0x10);
            ulong strSize = is64 ? r.U64(strHeader + 0x20) : r.U32(strHeader + 0x14);
            r.Need(offset, size, "symbol table");
            r.Need(strOffset, strSize, "string table");
            if (entsize < (is64 ? 24UL : 16UL))
            {
                throw new FirmwareFormatException(r.File, $"section header {i}", $"symbol table entry size {entsize} is smaller than a symbol ({(is64 ? 24 : 16)} bytes)");
            }
            for (ulong s = offset; s + entsize <= offset + size; s += entsize)
            {
                uint nameOffset = r.U32(s);
                byte info = is64 ? r.Data[s + 4] : r.Data[s + 12];
                ulong value = is64 ? r.U64(s + 8) : r.U32(s + 4);
                ulong symbolSize = is64 ? r.U64(s + 16) : r.U32(s + 8);
                int kind = info & 0xF;   // STT_OBJECT 1, STT_FUNC 2
                if (nameOffset == 0 || kind is not (1 or 2) || nameOffset >= strSize)
                {
                    continue;
                }
                int start = (int)(strOffset + nameOffset);
                int end = Array.IndexOf(r.Data, (byte)0, start);
                string name = Encoding.UTF8.GetString(r.Data, start, (end < 0 ? r.Data.Length : end) - start);
                symbols.Add(new FirmwareSymbol(name, value, symbolSize, kind == 2));
            }
        }
        return symbols;
    }

    // Bounds-checked field reads in the file's byte order.
    private sealed class Fields(byte[] data, bool big, string file)
    {
        public byte[] Data => data;

        public string File => file;

        public void Need(ulong offset, ulong length, string where)
        {
            if (offset > (ulong)data.Length || length > (ulong)data.Length - offset)
            {
                throw new FirmwareFormatException(file, where, $"truncated: needs bytes [0x{offset:X}, +0x{length:X}) of a 0x{data.Length:X}-byte file");
            }
        }

        public ushort U16(ulong at)
        {
            Need(at, 2, "header");
            var s = data.AsSpan((int)at, 2);
            return big ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
        }

        public uint U32(ulong at)
        {
            Need(at, 4, "header");
            var s = data.AsSpan((int)at, 4);
            return big ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
        }

        public ulong U64(ulong at)
        {
            Need(at, 8, "header");
            var s = data.AsSpan((int)at, 8);
            return big ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);
        }
    }
}
