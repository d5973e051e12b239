using System.Buffers.Binary;
using MemGate.Firmware;

namespace MemGate.Tests.Firmware;

/// <summary>Corrupted ELF headers are located format errors: no out-of-memory, no index error, no silent acceptance.</summary>
public sealed class HostileElfTests
{
    // hello.elf is ELF32 little endian: program headers at 52 (32 bytes each), section headers at 8912 (40 bytes each), .symtab is section 7.
    private static byte[] Hello() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"));

    private static FirmwareFormatException Rejects(byte[] elf) => Assert.Throws<FirmwareFormatException>(() => ElfReader.Read(elf, "bad.elf"));

    [Theory]
    [InlineData(0, 0xFFFF)]
    [InlineData(1, 2)]
    [InlineData(31, 2)]
    public void Program_header_entries_smaller_than_a_header_are_rejected(int entsize, int count)
    {
        byte[] elf = Hello();
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x2A), (ushort)entsize);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x2C), (ushort)count);
        Assert.Contains("e_phentsize", Rejects(elf).Message);
    }

    [Fact]
    public void A_segment_of_nearly_2_GiB_is_refused_before_allocating()
    {
        byte[] elf = Hello();
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 20), 0x7FFF_0000);   // p_memsz of segment 0
        Assert.Contains("MiB MemGate loads", Rejects(elf).Message);
    }

    [Fact]
    public void Elf32_segments_must_end_below_4_GiB()
    {
        byte[] elf = Hello();
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 8), 0xFFFF_FF00);    // p_vaddr
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 12), 0xFFFF_FF00);   // p_paddr
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 20), 0x1000);        // p_memsz
        Assert.Contains("past 4 GiB", Rejects(elf).Message);
    }

    // Segment 1 is .data, stored in flash and run from SRAM (with .bss after it): an image built for more RAM than the
    // device has is refused at load, naming the region, instead of faulting in its start-up code.
    [Fact]
    public void A_segment_that_runs_past_the_devices_ram_is_refused_at_load()
    {
        byte[] elf = Hello();
        var device = MemGate.Devices.DeviceTemplates.Load("STM32F103");
        ElfReader.Read(elf, "hello.elf").CheckFits(device);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 32 + 20), 0x6000);   // p_memsz of segment 1: 24 KiB from 0x20000000
        var image = ElfReader.Read(elf, "big.elf");
        Assert.Equal(new FirmwareRunRange(0x2000_0000, 0x6000, 0x0800_00E4, "segment 1"), Assert.Single(image.RunRanges));
        var e = Assert.Throws<FirmwareFormatException>(() => image.CheckFits(device));
        Assert.Contains("segment 1", e.Message);
        Assert.Contains("runs at [0x20000000, 0x20006000) (stored at 0x80000E4", e.Message);
        Assert.Contains("but address 0x20005000 is in no region (region 'SRAM' [0x20000000, 0x20005000) is 20 KiB; the image needs 24 KiB from its start)", e.Message);
    }

    // A segment with nothing stored (.bss alone) is checked where it runs too; a run address outside the device's map is
    // another space's or a virtual one (AVR data at 0x800100, a kernel's higher half) and is left to the firmware.
    [Fact]
    public void Run_addresses_are_checked_for_empty_segments_and_left_alone_outside_the_map()
    {
        byte[] elf = Hello();
        var device = MemGate.Devices.DeviceTemplates.Load("STM32F103");
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 32 + 16), 0);        // p_filesz of segment 1: nothing stored
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 32 + 20), 0x6000);   // p_memsz: 24 KiB
        var image = ElfReader.Read(elf, "bss.elf");
        Assert.Single(image.Segments);
        Assert.Contains("0x20005000 is in no region", Assert.Throws<FirmwareFormatException>(() => image.CheckFits(device)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + 32 + 8), 0x0080_0100);   // p_vaddr outside the map
        ElfReader.Read(elf, "avr-like.elf").CheckFits(device);
    }

    [Fact]
    public void A_symbol_table_at_the_end_of_the_file_with_tiny_entries_is_an_error()
    {
        byte[] elf = Hello();
        int symtab = 8912 + 7 * 40;
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(symtab + 0x10), (uint)elf.Length - 4);  // sh_offset
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(symtab + 0x14), 4);                     // sh_size
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(symtab + 0x24), 1);                     // sh_entsize
        Assert.Contains("entry size 1", Rejects(elf).Message);
    }

    [Fact]
    public void Section_header_entries_smaller_than_a_header_are_rejected()
    {
        byte[] elf = Hello();
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x2E), 1);
        Assert.Contains("e_shentsize", Rejects(elf).Message);
    }
}
