using System.Diagnostics;
using System.Text;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Devices.Import;

namespace MemGate.Tests.Devices;

/// <summary>YAML built to crash, hang or exhaust the loader fails fast with a located error, for every YAML entry point.</summary>
public sealed class HostileYamlTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-yaml").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DeviceDescriptionException Rejects(string yaml)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(yaml, DeviceConfigFormat.Yaml, "hostile.yaml"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.All(e.Diagnostics, d => Assert.True(d.Location is { Line: > 0 }, d.ToString()));
        return e;
    }

    // Ten anchors, each a list repeating the previous one ten times: 10^10 nodes when expanded.
    private static string LaughingAliases(string root)
    {
        var text = new StringBuilder($"{root}\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
        {
            string previous = $"*a{i - 1}";
            text.Append($"  a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat(previous, 10))}]\n");
        }
        return text.ToString();
    }

    [Fact]
    public void Self_referencing_alias_is_an_error_not_a_stack_overflow()
    {
        var e = Rejects("device: &a {name: x, d: *a}\n");
        Assert.Contains("alias *a", e.Message);
        Assert.Equal(1, e.Diagnostics[0].Location!.Value.Line);
    }

    [Fact]
    public void Exponential_alias_expansion_is_capped()
    {
        var e = Rejects(LaughingAliases("device:"));
        Assert.Contains("aliases are expanded", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_capped()
    {
        Assert.Contains("nested deeper than 64", Rejects(new string('[', 100_000)).Message);
        Assert.Contains("nested deeper than 64", Rejects(string.Concat(Enumerable.Range(0, 2000).Select(i => new string(' ', i) + "k:\n"))).Message);
    }

    [Fact]
    public void Non_scalar_keys_and_duplicate_keys_are_located_errors()
    {
        Assert.Contains("mapping key must be a plain value", Rejects("? [a, b]\n: c\n").Message);
        Assert.Contains("appears twice", Rejects("device: {name: a}\ndevice: {name: b}\n").Message);
    }

    [Fact]
    public void Shared_aliases_still_load()
    {
        var device = DeviceConfigReader.Parse("""
            device: {name: Shared}
            regions:
              - &ram {name: RAM, guest_address: 0, size: 4KB, type: ram}
              - {name: RAM2, guest_address: 0x1000, size: 4KB, type: ram}
            """, DeviceConfigFormat.Yaml);
        Assert.Equal(["RAM", "RAM2"], device.Regions.Select(r => r.Name));
    }

    [Fact]
    public void Flow_mapping_continued_at_column_zero_is_a_located_error()
    {
        Rejects("memories:\n  flash: {base_addr: 0x0,\nsize: 0x1000}\n");
    }

    // YamlDotNet places these at the start of the node the tab breaks (line 1 for a tab on line 2): the error points at the tab.
    [Theory]
    [InlineData("device:\n\tname: X\n", 2, 1)]
    [InlineData("device:\n  name: X\nregions:\n  - name: R\n  \t size: 4K\n", 5, 3)]
    public void A_tab_in_the_indentation_is_reported_where_it_is(string yaml, int line, int column)
    {
        var d = Assert.Single(Rejects(yaml).Diagnostics);
        Assert.Contains("tab", d.Message);
        Assert.Equal((line, column), (d.Location!.Value.Line, d.Location.Value.Column));
    }

    [Fact]
    public void Importers_share_the_limits()
    {
        string fuzzware = Path.Combine(_dir, "config.yml");
        File.WriteAllText(fuzzware, "memory_map: &a {text: *a}\n");
        Assert.Contains("alias *a", Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(fuzzware)).Message);
        File.WriteAllText(fuzzware, LaughingAliases("symbols:"));
        Assert.Contains("aliases are expanded", Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(fuzzware)).Message);

        string halucinator = Path.Combine(_dir, "memory.yaml");
        File.WriteAllText(halucinator, LaughingAliases("memories:"));
        Assert.Contains("aliases are expanded", Assert.Throws<DeviceDescriptionException>(() => HalucinatorImporter.Import(halucinator)).Message);
    }
}
