using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Snapshots;
using MemGate.Snapshots.Files;

namespace MemGate.Tests.Snapshots;

// Bad snapshot files get an error that names the file and what is wrong, and no machine comes out of them.
public sealed class SnapshotFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("memgate-snapfile-").FullName;
    private readonly string _file;

    public SnapshotFileTests()
    {
        _file = Path.Combine(_directory, "hello.mgsnap");
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Load(FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "tasks.elf")));
        machine.Run(maxInstructions: 2000);   // past the start-up's clearing of RAM: SRAM holds data (pages of zeros are not stored)
        machine.SaveSnapshotFile(_file, new SnapshotFirmware("tasks.elf", "00"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SnapshotFileException Fails(Action<byte[]> damage)
    {
        byte[] bytes = File.ReadAllBytes(_file);
        damage(bytes);
        string bad = Path.Combine(_directory, "bad.mgsnap");
        File.WriteAllBytes(bad, bytes);
        var e = Assert.Throws<SnapshotFileException>(() => FirmwareMachine.FromSnapshotFile(bad, TextWriter.Null));
        Assert.Contains("bad.mgsnap", e.Message);
        return e;
    }

    [Fact]
    public void The_header_says_what_was_saved()
    {
        using var file = SnapshotFile.Open(_file);
        Assert.Equal(("cortex-m", "STM32F103", 2000UL), (file.Header.Machine, file.Header.Device.Name, file.Header.Instructions));
        Assert.Contains(file.Header.Cpu, r => r.Name == "pc");
        Assert.Contains(file.Header.Areas, a => a.Regions.Any(r => r.Name == "SRAM") && a.Pages.Count > 0);
        Assert.Equal("tasks.elf", file.Header.Firmware?.Path);
    }

    [Fact]
    public void A_file_that_is_not_a_snapshot_is_named_as_such() =>
        Assert.Contains("not a MemGate snapshot", Fails(b => b[0] = (byte)'X').Message);

    [Fact]
    public void Another_format_version_is_refused_with_both_versions() =>
        Assert.Contains("format version 7; this MemGate reads versions 1 to 3", Fails(b => b[8] = 7).Message);

    [Fact]
    public void A_truncated_file_says_how_much_is_there()
    {
        byte[] whole = File.ReadAllBytes(_file);
        string bad = Path.Combine(_directory, "bad.mgsnap");
        File.WriteAllBytes(bad, whole[..(whole.Length - 100)]);
        var e = Assert.Throws<SnapshotFileException>(() => FirmwareMachine.FromSnapshotFile(bad, TextWriter.Null));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_damaged_page_is_found_before_anything_is_restored()
    {
        using var file = SnapshotFile.Open(_file);
        var area = file.Header.Areas.First(a => a.Regions.Any(r => r.Name == "SRAM") && a.Pages.Count > 0);
        long at = (long)(area.Offset + area.Pages[0].Start + 10);
        var e = Fails(b => b[at] ^= 0x55);
        Assert.Contains("corrupt", e.Message);
        Assert.Contains("'SRAM'", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_in_a_page_the_file_does_not_store_is_found_before_anything_is_restored(bool sparse)
    {
        using var file = SnapshotFile.Open(_file);
        var area = file.Header.Areas.First(a => a.Regions.Any(r => r.Name == "Flash"));
        ulong hole = Enumerable.Range(0, (int)(area.Length / 4096)).Select(i => (ulong)i * 4096)
            .First(p => !area.Pages.Any(r => p - r.Start < r.Length));
        long at = (long)(area.Offset + hole + 5);
        byte[] bytes = File.ReadAllBytes(_file);
        bytes[at] = 0xFF;
        string bad = Path.Combine(_directory, "bad.mgsnap");
        if (sparse)
        {
            // Only the pages holding data are written, as MemGate writes the file: the damaged page is the only data in its hole.
            using var stream = new FileStream(bad, FileMode.Create);
            stream.SetLength(bytes.Length);
            for (int page = 0; page < bytes.Length; page += 4096)
            {
                var chunk = bytes.AsSpan(page, Math.Min(4096, bytes.Length - page));
                if (chunk.ContainsAnyExcept((byte)0))
                {
                    stream.Position = page;
                    stream.Write(chunk);
                }
            }
        }
        else
        {
            File.WriteAllBytes(bad, bytes);   // holes written as zeros, as a plain copy over the network leaves them
        }
        var e = Assert.Throws<SnapshotFileException>(() => FirmwareMachine.FromSnapshotFile(bad, TextWriter.Null));
        Assert.Contains("does not store", e.Message);
        var flash = area.Regions.First(r => r.Name == "Flash");
        Assert.Contains($"'Flash' 0x{flash.Start + hole + 5 - flash.Offset:X}", e.Message);
    }

    [Fact]
    public void Reserved_preamble_bytes_must_be_zero() => Assert.Contains("reserved bytes", Fails(b => b[60] = 1).Message);

    [Fact]
    public void A_damaged_header_is_found() => Assert.Contains("header is corrupt", Fails(b => b[^3] ^= 1).Message);

    // A header that parses but holds a value of the wrong kind, or lacks a field, is said in the header's own terms (the
    // message named .NET types and JSON reader positions). The text is changed in place and the checksums made again.
    [Theory]
    [InlineData("\"instructions\": 2000", "\"instructions\": -500", "field instructions has a value of the wrong kind or out of range")]
    [InlineData("\"machine\": ", "\"machinX\": ", "it lacks the field(s) machine")]
    [InlineData("\"machine\": \"cortex-m\"", "\"machine\": null      ", "field machine has a value of the wrong kind or out of range")]   // null was an internal error
    [InlineData("\"cpu\": [\n    {", "\"cpu\": [null,{", "field cpu holds null")]
    public void A_header_with_a_wrong_value_is_named_in_its_own_terms(string from, string to, string said)
    {
        var e = Fails(bytes =>
        {
            ulong offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
            int length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24));
            var json = bytes.AsSpan((int)offset, length);
            string text = System.Text.Encoding.UTF8.GetString(json);
            Assert.Contains(from, text);
            System.Text.Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal)).CopyTo(json);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), System.IO.Hashing.XxHash3.HashToUInt64(json));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(48), System.IO.Hashing.XxHash3.HashToUInt64(bytes.AsSpan(0, 48)));
        });
        Assert.True(e.Message.Contains($"its header is not valid: {said}.", StringComparison.Ordinal), e.Message);
        Assert.DoesNotContain("MemGate.Snapshots", e.Message);
    }

    [Fact]
    public void A_snapshot_of_another_device_is_refused()
    {
        var e = Assert.Throws<SnapshotFileException>(() => FirmwareMachine.FromSnapshotFile(_file, TextWriter.Null, device: DeviceTemplates.Load("STM32F407")));
        Assert.Contains("hello.mgsnap", e.Message);
        Assert.Matches("memory area|does not fit", e.Message);
    }

    [Fact]
    public void Pages_mapped_from_a_file_and_never_touched_are_written_to_the_next_file()
    {
        static GuestMemory Ram() => GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000_0000, 1 << 20)]);
        var header = new SnapshotFileHeader("test", new SnapshotDevice("d", "toml", "", "/"), null, 0, "-", DateTime.UtcNow, [], new SnapshotBlob(0, 0, ""), []);
        string first = Path.Combine(_directory, "a.mgsnap"), second = Path.Combine(_directory, "b.mgsnap");
        using (var memory = Ram())
        {
            memory.WriteUInt32(new GuestAddress(0x1008_0000), 0xC0FFEE);
            SnapshotFile.Write(first, header, [], memory);
        }
        using (var middle = Ram())
        using (var file = SnapshotFile.Open(first))
        {
            var baselines = file.RestoreMemory(middle, lazy: true);   // the marked page is mapped, not read
            SnapshotFile.Write(second, header, [], middle, baselines);
        }
        using var last = Ram();
        using (var file = SnapshotFile.Open(second))
        {
            file.RestoreMemory(last, lazy: false);
        }
        Assert.Equal(0xC0FFEEu, last.ReadUInt32(new GuestAddress(0x1008_0000)));
    }

    // Both ways of protecting restored pages again, on memory mapped from the file.
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_page_of_a_mapped_file_overwritten_with_zeros_is_restored_as_zeros_and_counted_once(bool protectByWalk)
    {
        Requires.WriteTracking();
        static GuestMemory Ram() => GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000_0000, 1 << 20)]);
        var header = new SnapshotFileHeader("test", new SnapshotDevice("d", "json", "", "/"), null, 0, "-", DateTime.UtcNow, [], new SnapshotBlob(0, 0, ""), []);
        string path = Path.Combine(_directory, "zeros.mgsnap");
        var page = new GuestAddress(0x1000_2000);
        using (var memory = Ram())
        {
            memory.WriteUInt32(page, 0xC0FFEE);
            SnapshotFile.Write(path, header, [], memory);
        }
        using var mapped = Ram();
        using var file = SnapshotFile.Open(path);
        var baselines = file.RestoreMemory(mapped, lazy: true);
        mapped.WriteUInt32(page, 0);   // the file's page, now all zeros
        using var snapshot = GuestSnapshot.Take(mapped, baselines, null);
        Assert.Equal(4096UL, snapshot.StoredBytes);   // the file's page and its written copy are one page
        snapshot.ProtectByWalk = protectByWalk;
        mapped.WriteUInt32(page, 0xBAD);
        Assert.Equal(1UL, snapshot.Restore().Pages);
        Assert.Equal(0u, mapped.ReadUInt32(page));   // as at the snapshot, not as in the file
        Assert.Equal(0UL, snapshot.DirtyBytes());     // protected again, and the file's other pages not marked written
        mapped.WriteUInt32(page + 4096, 7);
        Assert.Equal(1UL, snapshot.Restore().Pages);
        Assert.Equal(0u, mapped.ReadUInt32(page + 4096));
    }

    [Theory]
    [InlineData("json", DeviceConfigFormat.Json)]
    [InlineData("toml", DeviceConfigFormat.Toml)]
    public void The_device_description_is_read_in_the_format_the_file_names(string format, DeviceConfigFormat writer)
    {
        var device = DeviceTemplates.Load("STM32F103");
        var header = new SnapshotFileHeader("cortex-m", new SnapshotDevice(device.Name, format, DeviceConfigWriter.Write(device, writer), "/"),
            null, 0, "-", DateTime.UtcNow, [], new SnapshotBlob(0, 0, ""), []);
        string path = Path.Combine(_directory, $"{format}.mgsnap");
        using (var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000_0000, 1 << 16)]))
        {
            SnapshotFile.Write(path, header, [], memory);
        }
        var read = FirmwareMachine.ReadSnapshotDevice(path);
        Assert.Equal(device.Name, read.Name);
        Assert.Equal(device.Regions.Select(r => (r.Name, r.Start, r.Size)), read.Regions.Select(r => (r.Name, r.Start, r.Size)));
    }

    [Fact]
    public void A_device_description_in_another_format_is_refused_naming_it()
    {
        var header = new SnapshotFileHeader("cortex-m", new SnapshotDevice("d", "xml", "<device/>", "/"), null, 0, "-", DateTime.UtcNow, [], new SnapshotBlob(0, 0, ""), []);
        string path = Path.Combine(_directory, "xml.mgsnap");
        using (var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000_0000, 1 << 16)]))
        {
            SnapshotFile.Write(path, header, [], memory);
        }
        var e = Assert.Throws<SnapshotFileException>(() => FirmwareMachine.ReadSnapshotDevice(path));
        Assert.Contains("format 'xml'", e.Message);
        Assert.Contains("xml.mgsnap", e.Message);
    }

    [Fact]
    public void Writing_again_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null))
        {
            machine.Load(FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "tasks.elf")));
            machine.Run(maxInstructions: 2000);
            machine.SaveSnapshotFile(_file);
        }
        using var file = SnapshotFile.Open(_file);
        Assert.Equal(2000UL, file.Header.Instructions);
        Assert.Equal(["hello.mgsnap"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Pages_only_another_mapping_of_shared_memory_wrote_are_saved()
    {
        var provider = new RecordingSharedMemory();
        string path = Path.Combine(_directory, "shared.mgsnap");
        using (var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null, new FirmwareMachineOptions { Backing = provider }))
        {
            // As another process would write it (memgate ps link maps the memfd): this process never maps the page in.
            var space = provider.Made.Single(b => b.Length > 0x2000_4000);
            RandomAccess.Write(space.FileHandle, BitConverter.GetBytes(0xC0FFEE11u), 0x2000_4010);
            machine.SaveSnapshotFile(path);
        }
        using var restored = FirmwareMachine.FromSnapshotFile(path, TextWriter.Null);
        Assert.Equal(0xC0FFEE11u, restored.Memory.Main.ReadUInt32(new GuestAddress(0x2000_4010)));
    }

    private sealed class RecordingSharedMemory : IBackingProvider
    {
        public List<SharedMemoryBacking> Made { get; } = [];

        public HostBacking Reserve(ulong length)
        {
            var backing = SharedMemoryBacking.Reserve(length);
            Made.Add(backing);
            return backing;
        }
    }
}
