using CsCheck;
using MemGate.Devices;
using MemGate.Firmware;

namespace MemGate.Tests.Firmware;

/// <summary>
/// <see cref="FirmwareImage.CheckFits"/> answers from the device's address index what the load into a bare
/// GuestMemory answers from the memory's own region table: the same refusal, word for word, or none.
/// </summary>
public sealed class SegmentFitTests
{
    [Theory]
    [InlineData("STM32F103")]
    [InlineData("RV32")]
    [InlineData("ATmega328")]
    public void The_index_and_the_memory_agree_near_every_region_edge(string template)
    {
        var device = DeviceTemplates.Load(template);
        using var memory = DeviceMemory.Allocate(device);
        var main = device.Regions.Where(r => r.Space == device.Spaces[0].Name).ToList();
        ulong[] edges = [.. main.SelectMany(r => new[] { r.Start, r.Last }).SelectMany(a => new[] { a - 2, a, a + 1 })];
        Gen.Select(Gen.Int[0, edges.Length - 1], Gen.Int[-3, 3], Gen.Int[1, 40]).Sample((e, delta, length) =>
        {
            ulong at = edges[e] + (ulong)(long)delta;
            // Past the space's width a bare GuestMemory wraps the address; the device map has nothing there.
            if (at > device.Spaces[0].MaxAddress || (ulong)length - 1 > device.Spaces[0].MaxAddress - at)
            {
                return;
            }
            var image = new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(at, new byte[length], "raw image")]);
            string? byIndex = Record.Exception(() => image.CheckFits(device))?.Message;
            string? byMemory = Record.Exception(() => image.LoadInto(memory.Main))?.Message;
            Assert.Equal(byMemory, byIndex);
        }, iter: 2000);
    }

    [Fact]
    public void A_segment_ending_at_the_top_of_the_address_range_is_checked()
    {
        var image = new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(ulong.MaxValue - 3, new byte[4], "raw image")]);
        var e = Assert.Throws<FirmwareFormatException>(() => image.CheckFits(DeviceTemplates.Load("RV64")));
        Assert.Contains("address 0xFFFFFFFFFFFFFFFC is in no region", e.Message);
    }

    [Fact]
    public void A_segment_across_two_adjacent_memories_fits_and_one_across_a_hole_does_not()
    {
        var device = DeviceTemplates.Load("STM32F103");
        var flash = device.Regions.First(r => r.Type == DeviceRegionType.Flash);
        var image = new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(flash.Last - 1, new byte[4], "raw image")]);
        var e = Assert.Throws<FirmwareFormatException>(() => image.CheckFits(device));
        Assert.Equal($"fw.bin: raw image: [0x{flash.Last - 1:X}, 0x{flash.Last + 3:X}) does not fit the device: address 0x{flash.Last + 1:X} is in no region " +
            "(the 4 B segment starts in region 'Flash' [0x8000000, 0x8020000), 128 KiB, and runs 2 B past its end)", e.Message);
    }

    // A plain alias of memory (the STM32's boot alias of flash) takes an image, which lands in the memory it shows, as
    // QEMU's loader writes through it; a bit-band alias does not.
    [Fact]
    public void An_image_loads_through_an_alias_of_memory_into_that_memory()
    {
        var device = DeviceTemplates.Load("STM32F103");
        using var memory = DeviceMemory.Allocate(device);
        var image = new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(0x100, [1, 2, 3, 4], "raw image")]);
        image.LoadInto(memory);
        Assert.Equal(0x0403_0201u, memory.Main.ReadUInt32(new MemGate.Memory.GuestAddress(0x0800_0100)));
        var bitBand = device.Regions.First(r => r.Type == DeviceRegionType.Alias && r.AliasMode == AliasMode.BitBand);
        var e = Assert.Throws<FirmwareFormatException>(() => new FirmwareImage("fw.bin", FirmwareFormat.Raw, [new FirmwareSegment(bitBand.Start, [1], "raw image")]).CheckFits(device));
        Assert.EndsWith($"in alias region '{bitBand.Name}', which holds no memory", e.Message);
    }
}
