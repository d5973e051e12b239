using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

public sealed class DeviceTemplateTests
{
    public static TheoryData<string> Templates => new(DeviceTemplates.Names);

    [Fact]
    public void There_are_the_ten_templates_of_the_seed()
    {
        Assert.Equal(
            ["ATmega2560", "ATmega328", "CortexA53", "ESP32", "ESP8266", "RV32", "RV64", "STM32F103", "STM32F407", "STM32F429"],
            DeviceTemplates.Names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_loads_and_names_its_source(string name)
    {
        var device = DeviceTemplates.Load(name);
        Assert.Equal(name, device.Name);
        // The only warnings allowed are for RAM the real part can execute from (Cortex-M SRAM, ESP32 IRAM, …).
        Assert.All(device.Warnings, w => Assert.Contains("is executable", w.Message));
        Assert.Matches("(RM|DS|TRM|datasheet|Technical Reference|QEMU|hw/)", device.Description);
        Assert.NotEmpty(device.Architecture);
    }

    // Every writable region keeps a pattern at its first and last byte; every read-only one refuses a write.
    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_region_is_where_the_template_says_with_its_permissions(string name)
    {
        var device = DeviceTemplates.Load(name);
        using var memory = DeviceMemory.Allocate(device);
        foreach (var region in device.Regions)
        {
            var space = memory[region.Space];
            var first = new GuestAddress(region.Start);
            var last = new GuestAddress(region.Last);
            Assert.Equal(region.Name, space.FindRegion(first)?.Name);
            Assert.Equal(region.Name, space.FindRegion(last)?.Name);
            if (region.Type == DeviceRegionType.Alias)
            {
                continue; // checked through their targets below
            }
            if (region.Permissions.HasFlag(Permissions.Write))
            {
                space.WriteByte(first, 0xA5);
                space.WriteByte(last, 0x5A);
                Assert.Equal(0xA5, space.ReadByte(first));
                Assert.Equal(0x5A, space.ReadByte(last));
            }
            else
            {
                Assert.Throws<GuestPermissionException>(() => space.WriteByte(first, 0xA5));
                Assert.Throws<GuestPermissionException>(() => space.WriteByte(last, 0xA5));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Aliases_show_their_targets(string name)
    {
        var device = DeviceTemplates.Load(name);
        using var memory = DeviceMemory.Allocate(device);
        foreach (var alias in device.Regions.Where(r => r.Type == DeviceRegionType.Alias))
        {
            var target = device.FindRegion(alias.AliasOf!)!;
            var targetSpace = memory[target.Space];
            var aliasSpace = memory[alias.Space];
            targetSpace.Debug.WriteByte(new GuestAddress(target.Start), 0b0000_0100);
            if (alias.AliasMode == AliasMode.BitBand)
            {
                Assert.Equal(1U, aliasSpace.ReadUInt32(new GuestAddress(alias.Start + 2 * 4)));
                Assert.Equal(0U, aliasSpace.ReadUInt32(new GuestAddress(alias.Start + 3 * 4)));
                aliasSpace.WriteUInt32(new GuestAddress(alias.Start + 7 * 4), 1);
                Assert.Equal(0b1000_0100, targetSpace.Debug.ReadByte(new GuestAddress(target.Start)));
            }
            else
            {
                Assert.Equal(0b0000_0100, aliasSpace.Debug.ReadByte(new GuestAddress(alias.Start)));
            }
        }
    }
}
