using MemGate.Devices;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Tests.Firmware;

public sealed class FirmwareReaderTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Theory]
    [InlineData(0, 0x0800_0000UL, "the file is empty")]
    [InlineData(16, 0xFFFF_FFFF_FFFF_FFF8UL, "16 bytes at 0xFFFFFFFFFFFFFFF8 run past the end of the 64-bit address space")]
    public void A_raw_image_that_is_empty_or_wraps_around_is_refused(int length, ulong address, string message)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-raw").FullName, "fw.bin");
        File.WriteAllBytes(path, new byte[length]);
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Load(path, rawAddress: address));
        Assert.Contains(message, e.Message);
        Assert.Contains("fw.bin", e.Message);
        ulong last = ulong.MaxValue - (ulong)new FileInfo(Fixture("hello.bin")).Length + 1;   // ending at the last address is fine
        Assert.Equal(last, FirmwareReader.Load(Fixture("hello.bin"), rawAddress: last).Segments[0].Address);
    }

    [Fact]
    public void Elf_segments_land_at_their_load_addresses_with_entry_and_symbols()
    {
        var image = FirmwareReader.Load(Fixture("hello.elf"));
        Assert.Equal(FirmwareFormat.Elf, image.Format);
        Assert.Equal(0x0800_0041UL, image.EntryPoint);                       // Reset_Handler, Thumb bit set
        Assert.All(image.Segments, s => Assert.InRange(s.Address, 0x0800_0000UL, 0x0801_FFFFUL)); // .data stored in flash
        var reset = Assert.Single(image.Symbols, s => s.Name == "Reset_Handler");
        Assert.True(reset.IsFunction);
        Assert.Equal("Reset_Handler", image.SymbolAt(0x0800_0044)?.Name);
        Assert.Contains(image.Symbols, s => s.Name == "counter" && s.Address == 0x2000_0000 && !s.IsFunction);
    }

    [Fact]
    public void The_same_firmware_as_elf_hex_srec_and_raw_loads_identical_memory()
    {
        byte[] Load(string file, ulong? raw = null)
        {
            using var device = DeviceMemory.Allocate(DeviceTemplates.Load("STM32F103"));
            var image = FirmwareReader.Load(Fixture(file), rawAddress: raw);
            image.LoadInto(device);
            var flash = new byte[0x400];
            device.Main.Read(new GuestAddress(0x0800_0000), flash);
            return flash;
        }
        byte[] elf = Load("hello.elf");
        Assert.Equal(0x2000_2000U, BitConverter.ToUInt32(elf, 0));           // initial SP from the vector table (8 KiB, see link.ld)
        Assert.Equal(elf, Load("hello.hex"));
        Assert.Equal(elf, Load("hello.srec"));
        Assert.Equal(elf, Load("hello.bin", raw: 0x0800_0000));
        Assert.Equal(0x0800_0041UL, FirmwareReader.Load(Fixture("hello.hex")).EntryPoint);   // start linear address record
        Assert.Equal(0x0800_0041UL, FirmwareReader.Load(Fixture("hello.srec")).EntryPoint);  // S7 record
    }

    [Fact]
    public void Loading_writes_flash_that_firmware_itself_may_not()
    {
        using var device = DeviceMemory.Allocate(DeviceTemplates.Load("STM32F103"));
        FirmwareReader.Load(Fixture("hello.elf")).LoadInto(device);
        Assert.NotEqual(0U, device.Main.ReadUInt32(new GuestAddress(0x0800_0004)));
        Assert.Throws<GuestPermissionException>(() => device.Main.WriteUInt32(new GuestAddress(0x0800_0004), 0));
        Assert.Equal(device.Main.ReadUInt32(new GuestAddress(0x0800_0004)), device.Main.ReadUInt32(new GuestAddress(0x0000_0004))); // boot alias
    }

    [Theory]
    [InlineData(":10000000FF\n", "line 1", "byte count 16")]
    [InlineData(":0400000008000041AF\n:00000001FF\n", "line 1", "checksum 0xAF is wrong (0xB3 expected)")]
    [InlineData(":020000040800F2\n:0100000000FF\n", "end", "no end-of-file")]
    [InlineData(":020000040800F2\n:01000000GG00\n:00000001FF\n", "line 2", "'GG' at column 10")]
    [InlineData(":00000007F9\n:00000001FF\n", "line 1", "unknown record type 0x07")]
    public void Bad_intel_hex_names_the_line(string text, string where, string message)
    {
        var e = Assert.Throws<FirmwareFormatException>(() => IntelHexReader.Read(text, "fw.hex"));
        Assert.Equal(where, e.Where);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"fw.hex: {where}: ", e.Message);
    }

    [Theory]
    [InlineData("S1050000AABB00\nS9030000FC\n", "line 1", "checksum 0x00 is wrong (0x95 expected)")]
    [InlineData("S1050000AABB95\n", "end", "no termination")]
    [InlineData("S1050000AABB95\nS5030002FA\nS9030000FC\n", "line 2", "record count 2 does not match the 1 data records")]
    [InlineData("X1050000AABB95\n", "line 1", "not an S-record")]
    [InlineData("S4050000AABB95\n", "line 1", "unknown record type S4")]
    public void Bad_srec_names_the_line(string text, string where, string message)
    {
        var e = Assert.Throws<FirmwareFormatException>(() => SrecReader.Read(text, "fw.srec"));
        Assert.Equal(where, e.Where);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Good_srec_and_hex_parse_to_the_same_bytes()
    {
        var s = SrecReader.Read("S00600004844521B\nS1050000AABB95\nS5030001FB\nS9030000FC\n", "a.srec");
        var h = IntelHexReader.Read(":02000000AABB99\n:00000001FF\n", "a.hex");
        Assert.Equal(s.Segments.Single().Data, h.Segments.Single().Data);
        Assert.Equal([0xAA, 0xBB], s.Segments.Single().Data);
    }

    // What a file holds decides its text format over its name (S-records named .hex), a UTF-8 byte order mark before the
    // text is passed over, lowercase S-records read as uppercase ones, and an empty file says it is empty.
    [Fact]
    public void Text_images_are_told_by_their_content_with_or_without_a_byte_order_mark()
    {
        string dir = Directory.CreateTempSubdirectory("memgate-images").FullName;
        try
        {
            string Write(string name, byte[] bytes)
            {
                string path = Path.Combine(dir, name);
                File.WriteAllBytes(path, bytes);
                return path;
            }
            byte[] srec = "S1050000AABB95\nS9030000FC\n"u8.ToArray();
            byte[] hex = ":02000000AABB99\n:00000001FF\n"u8.ToArray();
            Assert.Equal([0xAA, 0xBB], FirmwareReader.Load(Write("named.hex", srec)).Segments.Single().Data);
            Assert.Equal([0xAA, 0xBB], FirmwareReader.Load(Write("bom.hex", [0xEF, 0xBB, 0xBF, .. hex])).Segments.Single().Data);
            Assert.Equal([0xAA, 0xBB], FirmwareReader.Load(Write("lower.srec", "s1050000aabb95\ns9030000fc\n"u8.ToArray())).Segments.Single().Data);
            var empty = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Load(Write("empty.elf", [])));
            Assert.Contains("the file is empty", empty.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Records that continue each other make one segment, named by its first and last lines, so an overlap says where.
    [Fact]
    public void An_overlap_names_the_lines_of_both_blocks()
    {
        var e = Assert.Throws<FirmwareFormatException>(() => IntelHexReader.Read(":02000000AABB99\n:02000200CCDD53\n:02000100EEFF10\n:00000001FF\n", "a.hex"));
        Assert.Contains("data from line 3: [0x1, 0x3) overlaps data from line 1 to line 2 [0x0, 0x4)", e.Message);
    }

    // DOS-era tools end the text with Ctrl-Z (0x1A), an end-of-file mark, sometimes padded after it: the text ends there.
    [Fact]
    public void A_ctrl_z_ends_the_text()
    {
        var h = IntelHexReader.Read(":02000000AABB99\r\n:00000001FF\r\n\x1A", "a.hex");
        var s = SrecReader.Read("S1050000AABB95\r\nS9030000FC\r\n\x1A\0\0\0", "a.srec");
        Assert.Equal([0xAA, 0xBB], h.Segments.Single().Data);
        Assert.Equal([0xAA, 0xBB], s.Segments.Single().Data);
        var e = Assert.Throws<FirmwareFormatException>(() => IntelHexReader.Read(":02000000AABB99\n\x1A:00000001FF\n", "a.hex"));
        Assert.Contains("no end-of-file (01) record", e.Message);   // what follows the mark is not read
    }

    [Fact]
    public void Truncated_elf_is_an_error_not_a_crash()
    {
        byte[] elf = File.ReadAllBytes(Fixture("hello.elf"));
        foreach (int length in new[] { 3, 40, 60, 0x1010, elf.Length - 200 })
        {
            string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-elf").FullName, "cut.elf");
            File.WriteAllBytes(path, elf[..length]);
            var e = Record.Exception(() => FirmwareReader.Load(path, FirmwareFormat.Elf));
            Assert.True(e is FirmwareFormatException || length == elf.Length - 200, $"length {length}: {e}");
        }
    }

    [Fact]
    public void A_segment_outside_every_region_is_rejected_before_anything_is_written()
    {
        var image = new FirmwareImage("fw.bin", FirmwareFormat.Raw,
            [new FirmwareSegment(0x0800_0000, [1, 2, 3, 4], "segment 0"), new FirmwareSegment(0x0900_0000, [5], "segment 1")]);
        using var device = DeviceMemory.Allocate(DeviceTemplates.Load("STM32F103"));
        var e = Assert.Throws<FirmwareFormatException>(() => image.LoadInto(device));
        Assert.Contains("segment 1: [0x9000000, 0x9000001) does not fit the device: address 0x9000000 is in no region", e.Message);
        Assert.Equal(0U, device.Main.ReadUInt32(new GuestAddress(0x0800_0000)));     // nothing half-loaded

        var intoPeripheral = new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(0x4001_3800, [1], "raw image")]);
        Assert.Contains("peripheral region 'APB2'", Assert.Throws<FirmwareFormatException>(() => intoPeripheral.LoadInto(device)).Message);
        Assert.Contains("needs the address", Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Load(Fixture("hello.bin"))).Message);
    }
}
