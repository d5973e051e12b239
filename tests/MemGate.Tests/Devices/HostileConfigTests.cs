using MemGate.Devices;
using MemGate.Devices.Config;

namespace MemGate.Tests.Devices;

/// <summary>Device files that push numbers, enums and nesting past their limits get located errors, never a wrong answer or an exception of another type.</summary>
public sealed class HostileConfigTests
{
    private static DeviceDescriptionException Rejects(string toml) =>
        Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(toml, DeviceConfigFormat.Toml, "hostile.toml"));

    private static string WithRegion(string region, string device = "", string memory = "") => $"""
        [device]
        name = "D"
        {device}
        [memory]
        {memory}
        [[regions]]
        name = "R"
        guest_address = 0
        size = "4KB"
        {region}
        """;

    [Theory]
    [InlineData("R0-R4294967295:1")]
    [InlineData("R0-R1:99999999999")]
    [InlineData("A-B")]
    public void Register_layouts_that_overflow_are_errors(string layout)
    {
        var e = Rejects(WithRegion($"type = \"registers\"\nlayout = \"{layout}\""));
        Assert.Contains(e.Diagnostics, d => d.Field == "regions[0].layout" && d.Location is { Line: > 0 });
    }

    [Fact]
    public void Toml_nested_deeper_than_the_parser_allows_is_a_located_error()
    {
        Rejects($"a = {new string('[', 200)}{new string(']', 200)}\n");
        Rejects($"a = {string.Concat(Enumerable.Repeat("{b = ", 200))}1{new string('}', 200)}\n");
    }

    [Theory]
    [InlineData("address_width = 4294967328", "", "device.address_width")]
    [InlineData("address_width = \"0x100000020\"", "", "device.address_width")]
    [InlineData("", "address_spaces = 4294967297", "memory.address_spaces")]
    public void Numbers_are_range_checked_in_their_full_width(string device, string memory, string field)
    {
        var e = Rejects(WithRegion("type = \"ram\"", device, memory));
        Assert.Contains(e.Diagnostics, d => d.Field == field && d.Location is { Line: > 0 });
    }

    [Theory]
    [InlineData("type = \"flash, rom\"", "", "regions[0].type")]
    [InlineData("type = \"99\"", "", "regions[0].type")]
    [InlineData("type = \"-1\"", "", "regions[0].type")]
    [InlineData("type = \"ram\"", "unmodelled = \"fault, ignore\"", "memory.unmodelled")]
    [InlineData("type = \"ram\"", "unmodelled = \"3\"", "memory.unmodelled")]
    public void Enum_fields_take_one_name_not_flags_or_numbers(string region, string memory, string field)
    {
        var e = Rejects(WithRegion(region, memory: memory));
        Assert.Contains(e.Diagnostics, d => d.Field == field);
    }

    // alias_mode on a region that is not an alias did nothing, silently.
    [Fact]
    public void An_alias_mode_on_a_region_that_is_not_an_alias_is_an_error_at_its_line()
    {
        var e = Rejects(WithRegion("type = \"ram\"\nalias_mode = \"mirror\""));
        var d = Assert.Single(e.Diagnostics, d => d.Field == "regions[0].alias_mode");
        Assert.Contains("only an alias region has an alias mode; this one is ram", d.Message);
        Assert.Equal(11, d.Location?.Line);
    }
}
