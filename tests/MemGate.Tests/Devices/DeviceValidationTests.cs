using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

/// <summary>Every rule of <see cref="DeviceDescription"/>'s validation, each broken on purpose.</summary>
public sealed class DeviceValidationTests
{
    private const string Main = DeviceDescription.DefaultSpace;

    private static DeviceRegion Ram(string name, ulong start, ulong size, string space = Main) =>
        new(name, start, size, Permissions.ReadWrite, DeviceRegionType.Ram, space);

    private static DeviceRegion Alias(string name, ulong start, ulong size, string? target, AliasMode mode = AliasMode.Mirror) =>
        new(name, start, size, Permissions.ReadWrite, DeviceRegionType.Alias, Main) { AliasOf = target, AliasMode = mode };

    private static DeviceDiagnostic SingleError(Func<DeviceDescription> create)
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => create());
        return Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Overlap_names_both_regions_and_the_overlap()
    {
        var error = SingleError(() => new DeviceDescription("D", [Ram("A", 0x1000, 0x2000), Ram("B", 0x2000, 0x2000)]));
        Assert.Equal("regions[1].guest_address", error.Field);
        Assert.Contains("'B' [0x2000–0x3FFF] overlaps region 'A' [0x1000–0x2FFF] in space 'main' at [0x2000–0x2FFF]", error.Message);
    }

    [Fact]
    public void Overlap_is_found_past_a_long_region_that_hides_it()
    {
        // C overlaps A although B (sorted between them) does not reach C.
        var error = SingleError(() => new DeviceDescription("D", [Ram("A", 0x0, 0x10000), Ram("B", 0x10000, 0x10), Ram("C", 0x8000, 0x10)]));
        Assert.Contains("'C'", error.Message);
        Assert.Contains("'A'", error.Message);
    }

    [Fact]
    public void The_same_addresses_in_different_spaces_do_not_overlap()
    {
        var device = new DeviceDescription("AVR", [Ram("Flash", 0, 0x100, "program"), Ram("SRAM", 0, 0x100, "data")],
            spaces: [new DeviceAddressSpace("program", 16), new DeviceAddressSpace("data", 16)]);
        Assert.Equal(2, device.Regions.Count);
    }

    [Theory]
    [InlineData(0UL, 0UL, "regions[0].size", "has size 0")]
    [InlineData(0xFFFF_F000UL, 0x2000UL, "regions[0].guest_address", "runs past the end of the 32-bit space 'main'")]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x2000UL, "regions[0].size", "past the end of the 64-bit address range")]
    [InlineData(0x1010UL, 0x1000UL, "regions[0].guest_address", "not aligned to the page size 0x100")]
    [InlineData(0x1000UL, 0x1010UL, "regions[0].guest_address", "not aligned to the page size 0x100")]
    public void Region_geometry(ulong start, ulong size, string field, string message)
    {
        var error = SingleError(() => new DeviceDescription("D", [Ram("A", start, size)], pageSize: 0x100));
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Page_size_must_be_a_power_of_two()
    {
        var error = SingleError(() => new DeviceDescription("D", [Ram("A", 0, 0x3000)], pageSize: 0x3000));
        Assert.Equal("memory.page_size", error.Field);
    }

    [Fact]
    public void Names_must_be_unique_and_present()
    {
        Assert.Contains("duplicate region name 'A' (also regions[0])", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Ram("A", 16, 16)])).Message);
        Assert.Equal("regions[0].name", SingleError(() => new DeviceDescription("D", [Ram(" ", 0, 16)])).Field);
        Assert.Equal("device.name", SingleError(() => new DeviceDescription("", [Ram("A", 0, 16)])).Field);
        Assert.Equal("spaces[1].name", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16)],
            spaces: [new DeviceAddressSpace("main", 32), new DeviceAddressSpace("main", 16)])).Field);
    }

    [Fact]
    public void Spaces_must_exist_and_have_sane_widths()
    {
        Assert.Contains("unknown address space 'data'", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16, "data")])).Message);
        Assert.Contains("outside 8..64", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16)], spaces: [new DeviceAddressSpace("main", 65)])).Message);
    }

    [Fact]
    public void Aliases_need_an_existing_non_alias_target_of_the_right_size()
    {
        Assert.Contains("refers to missing region 'Nope'", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Alias("M", 0x100, 16, "Nope")])).Message);
        Assert.Contains("does not name its target", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Alias("M", 0x100, 16, null)])).Message);
        Assert.Contains("itself an alias", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Alias("M", 0x100, 16, "A"), Alias("N", 0x200, 16, "M")])).Message);
        Assert.Contains("larger than its target", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Alias("M", 0x100, 32, "A")])).Message);
        Assert.Contains("not a multiple of 32", SingleError(() => new DeviceDescription("D", [Ram("A", 0, 16), Alias("B", 0x1000, 40, "A", AliasMode.BitBand)])).Message);
        var plain = new DeviceRegion("A", 0, 16, Permissions.ReadWrite, DeviceRegionType.Ram, Main) { AliasOf = "X" };
        Assert.Equal("regions[0].alias_of", SingleError(() => new DeviceDescription("D", [plain])).Field);
    }

    [Fact]
    public void Peripherals_must_not_overlap_and_warn_outside_mmio()
    {
        var mmio = new DeviceRegion("APB", 0x4000_0000, 0x1000, Permissions.ReadWrite, DeviceRegionType.Mmio, Main);
        var error = SingleError(() => new DeviceDescription("D", [mmio],
            peripherals: [new DevicePeripheral("U1", 0x4000_0000, 0x400, Main), new DevicePeripheral("U2", 0x4000_0200, 0x400, Main)]));
        Assert.Equal("peripherals[1].base", error.Field);
        Assert.Contains("peripheral 'U2'", error.Message);

        var device = new DeviceDescription("D", [mmio], peripherals: [new DevicePeripheral("Far", 0x5000_0000, 0x400, Main)]);
        Assert.Contains("not inside any mmio region", Assert.Single(device.Warnings).Message);
    }

    [Fact]
    public void Boot_addresses_must_be_inside_a_region()
    {
        var flash = new DeviceRegion("Flash", 0x0800_0000, 0x1000, Permissions.ReadExecute, DeviceRegionType.Flash, Main);
        var error = SingleError(() => new DeviceDescription("D", [flash], boot: new DeviceBoot(EntryPoint: 0x0900_0001)));
        Assert.Equal("boot.entry_point", error.Field);
        // Thumb bit set on an address in flash: fine.
        Assert.Empty(new DeviceDescription("D", [flash], boot: new DeviceBoot(EntryPoint: 0x0800_0101)).Warnings);
        // Initial SP just past the end of RAM is fine (the stack grows down).
        Assert.Empty(new DeviceDescription("D", [flash, Ram("RAM", 0x2000_0000, 0x1000)], boot: new DeviceBoot(InitialStackPointer: 0x2000_1000)).Warnings);
        var warning = Assert.Single(new DeviceDescription("D", [flash, Ram("RAM", 0x2000_0000, 0x1000)], boot: new DeviceBoot(EntryPoint: 0x2000_0000)).Warnings);
        Assert.Contains("not executable", warning.Message);
    }

    // permissions = "" is allowed (a region every access faults in) but is more likely a slip: a warning says what it means.
    [Fact]
    public void A_region_without_permissions_is_a_warning()
    {
        var none = new DeviceRegion("Guard", 0x2000_0000, 0x1000, Permissions.None, DeviceRegionType.Ram, Main);
        var warning = Assert.Single(new DeviceDescription("D", [none]).Warnings);
        Assert.Equal(("regions[0].permissions", "region 'Guard' has no permissions (---): every access to it faults"), (warning.Field, warning.Message));
    }

    [Fact]
    public void All_errors_are_reported_together()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => new DeviceDescription("", [Ram("A", 0, 0), Ram("A", 0x10, 0x10, "nowhere")]));
        Assert.True(e.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error) >= 4);
    }
}
