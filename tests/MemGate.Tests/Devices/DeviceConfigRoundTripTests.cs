using CsCheck;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

public sealed class DeviceConfigRoundTripTests
{
    public static TheoryData<string, DeviceConfigFormat> TemplatesAndFormats()
    {
        var data = new TheoryData<string, DeviceConfigFormat>();
        foreach (string name in DeviceTemplates.Names)
        {
            foreach (var format in Enum.GetValues<DeviceConfigFormat>())
            {
                data.Add(name, format);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TemplatesAndFormats))]
    public void Every_template_survives_every_format(string name, DeviceConfigFormat format)
    {
        var device = DeviceTemplates.Load(name);
        string text = DeviceConfigWriter.Write(device, format);
        AssertSame(device, DeviceConfigReader.Parse(text, format, $"{name}.{format}"));
    }

    // Random devices: regions laid out in order with gaps, names and descriptions with characters that need escaping.
    [Fact]
    public void Random_devices_survive_every_format()
    {
        var text = Gen.String[Gen.Char["a-zA-Z0-9 _\"'\\#:{}[]é-"], 1, 12];
        var region = Gen.Select(Gen.ULong[0, 64], Gen.ULong[1, 64], Gen.Int[0, 7], Gen.Int[0, 4], text);
        var device = Gen.Select(text, region.Array[1, 12], Gen.Bool, Gen.Int[0, 3]);
        device.Sample(t =>
        {
            var (description, parts, bigEndian, pageShift) = t;
            ulong page = 1UL << (pageShift * 2);
            ulong at = 0;
            var regions = new List<DeviceRegion>();
            for (int i = 0; i < parts.Length; i++)
            {
                var (gap, size, perms, type, note) = parts[i];
                at += gap * page;
                var kind = (DeviceRegionType)new[] { 0, 1, 2, 3, 4 }[type];
                regions.Add(new DeviceRegion($"R{i}", at, size * page, (Permissions)perms, kind, DeviceDescription.DefaultSpace) { Description = note });
                at += size * page;
            }
            var original = new DeviceDescription("Dev \"x\"", regions, description: description,
                byteOrder: bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian, pageSize: page, architecture: "arch",
                boot: new DeviceBoot(VectorTable: regions[0].Start),
                symbols: regions.Select(r => new DeviceSymbol($"sym_{r.Name}", r.Start + 1)));
            foreach (var format in Enum.GetValues<DeviceConfigFormat>())
            {
                string written = DeviceConfigWriter.Write(original, format);
                AssertSame(original, DeviceConfigReader.Parse(written, format, $"random.{format}"));
            }
        }, iter: 300);
    }

    internal static void AssertSame(DeviceDescription expected, DeviceDescription actual)
    {
        Assert.Equal(
            (expected.Name, expected.Description, expected.Architecture, expected.Cpu, expected.ByteOrder, expected.PageSize, expected.AllocateAtOnce),
            (actual.Name, actual.Description, actual.Architecture, actual.Cpu, actual.ByteOrder, actual.PageSize, actual.AllocateAtOnce));
        Assert.Equal(expected.Spaces, actual.Spaces);
        Assert.Equal(expected.Regions, actual.Regions);
        Assert.Equal(expected.Peripherals, actual.Peripherals);
        Assert.Equal(expected.Boot, actual.Boot);
        Assert.Equal(expected.Symbols, actual.Symbols);
    }
}
