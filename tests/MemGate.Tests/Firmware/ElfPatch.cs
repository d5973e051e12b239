using System.Buffers.Binary;

namespace MemGate.Tests.Firmware;

/// <summary>Copies of the fixture ELFs with header bytes changed, for the architecture checks.</summary>
internal static class ElfPatch
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The ELF32 little-endian file with e_flags replaced.</summary>
    public static byte[] WithFlags32(byte[] elf, uint flags)
    {
        byte[] copy = (byte[])elf.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(0x24), flags);
        return copy;
    }

    /// <summary>
    /// The ELF32 little-endian file as a big-endian one: EI_DATA and every header field swapped (ELF
    /// header, program and section headers), so it still parses; code and symbols are left as they are.
    /// </summary>
    public static byte[] ToBigEndian32(byte[] elf)
    {
        byte[] copy = (byte[])elf.Clone();
        copy[5] = 2;
        void Swap16(int at) => BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at), BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(at)));
        void Swap32(int at) => BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(at)));
        Swap16(0x10);
        Swap16(0x12);
        for (int at = 0x14; at < 0x28; at += 4)
        {
            Swap32(at);   // e_version, e_entry, e_phoff, e_shoff, e_flags
        }
        for (int at = 0x28; at < 0x34; at += 2)
        {
            Swap16(at);
        }
        int phoff = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(0x1C));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x2C));
        int shoff = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(0x20));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x30));
        for (int i = 0; i < phnum * 32; i += 4)
        {
            Swap32(phoff + i);
        }
        for (int i = 0; i < shnum * 40; i += 4)
        {
            Swap32(shoff + i);
        }
        return copy;
    }

    /// <summary>Writes <paramref name="data"/> to a new temporary file named <paramref name="name"/>.</summary>
    public static string Temp(string name, byte[] data)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-elf").FullName, name);
        File.WriteAllBytes(path, data);
        return path;
    }
}
