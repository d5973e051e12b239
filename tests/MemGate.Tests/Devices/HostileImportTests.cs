using System.Text;
using MemGate.Devices;
using MemGate.Devices.Import;
using MemGate.Memory;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Devices;

/// <summary>Foreign configs and device files with invalid values, includes or text are located errors; valid ones that looked odd still load.</summary>
public sealed class HostileImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-import").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Ram = "memory_map:\n  ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}\n";

    [Theory]
    [InlineData("{r: w}")]
    [InlineData("r--x")]
    [InlineData("rr")]
    [InlineData("r-")]
    public void Fuzzware_permissions_are_three_places_or_letters(string permissions)
    {
        string config = Write("config.yml", $"memory_map:\n  ram: {{base_addr: 0x20000000, size: 0x1000, permissions: {permissions}}}\n");
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(config));
        Assert.Contains(e.Diagnostics, d => d.Field == "memory_map.ram.permissions" && d.Location is { Line: 2 });
    }

    [Theory]
    [InlineData("rw", Permissions.ReadWrite)]
    [InlineData("RX", Permissions.Read | Permissions.Execute)]
    [InlineData("r--", Permissions.Read)]
    public void Fuzzware_permissions_may_be_letters_without_dashes_as_fuzzware_reads_them(string text, Permissions expected)
    {
        // Fuzzware looks for each letter; pw-recovery/LPC1549 writes "rw".
        string config = Write("config.yml", $"memory_map:\n  ram: {{base_addr: 0x20000000, size: 0x1000, permissions: {text}}}\n");
        Assert.Equal(expected, Assert.Single(FuzzwareImporter.Import(config).Regions, r => r.Name == "ram").Permissions);
    }

    [Fact]
    public void Includes_must_be_fuzzware_configs_and_may_form_a_diamond()
    {
        Write("d.yml", Ram);
        Write("b.yml", "include: [d.yml]\n");
        Write("c.yml", "include: [d.yml]\nmemory_map:\n  flash: {base_addr: 0x08000000, size: 0x1000, permissions: r-x}\n");
        var device = FuzzwareImporter.Import(Write("a.yml", "include: [b.yml, c.yml]\nentry_point: 0x08000001\n"));
        Assert.Equal(["ram", "flash"], device.Regions.Select(r => r.Name).Where(n => n != "scs"));

        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(Write("p.yml", "include: /etc/passwd\n" + Ram)));
        Assert.Contains("not a Fuzzware configuration", e.Message);
        Assert.Equal(1, e.Diagnostics[0].Location!.Value.Line);

        Write("x.yml", "include: [y.yml]\n");
        Write("y.yml", "include: [x.yml]\n");
        e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(Path.Combine(_dir, "x.yml")));
        Assert.Contains("includes itself", e.Message);
        Assert.EndsWith("y.yml", e.Diagnostics[0].Location!.Value.File);
        Assert.Equal(1, e.Diagnostics[0].Location!.Value.Line);
    }

    [Fact]
    public void A_missing_include_is_reported_at_the_include_entry()
    {
        string config = Write("m.yml", Ram + "include:\n  - d.yml\n  - nothere.yml\n");
        Write("d.yml", Ram);
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(config));
        var diagnostic = Assert.Single(e.Diagnostics);
        Assert.Equal(("include", config, 5), (diagnostic.Field, diagnostic.Location!.Value.File, diagnostic.Location!.Value.Line));
        Assert.Contains("'nothere.yml' cannot be read", diagnostic.Message);
        Assert.Contains(Path.Combine(_dir, "nothere.yml"), diagnostic.Message);
    }

    [Fact]
    public void Boot_errors_name_the_file_and_line()
    {
        string config = Write("config.yml", Ram + "entry_point: 0x90000000\n");
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(config));
        var boot = Assert.Single(e.Diagnostics, d => d.Field == "boot.entry_point");
        Assert.Equal((config, 3), (boot.Location!.Value.File, boot.Location!.Value.Line));
    }

    [Fact]
    public void Invalid_utf8_is_a_located_error()
    {
        string path = Path.Combine(_dir, "bad.toml");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(Devices.SeedExample.Toml.Replace("MyDevice", "My", StringComparison.Ordinal)), .. "\n# \xFF\n"u8.ToArray()[..2], 0xFF, (byte)'\n']);
        var (exit, _, error) = CliRunner.Run("validate", path);
        Assert.Equal(1, exit);
        Assert.Contains("not valid UTF-8", error);
        Assert.Contains($"{path}:", error);
    }

    [Theory]
    [InlineData("d.yaml", "device: {name: \"bad\\uFFFDname\"}\nregions: [{name: R, guest_address: 0, size: 4KB, type: ram}]\n")]
    [InlineData("d.json", "{\"device\": {\"name\": \"bad\\ud800\"}, \"regions\": [{\"name\": \"R\", \"guest_address\": 0, \"size\": \"4KB\", \"type\": \"ram\"}]}")]
    [InlineData("d.toml", "[device]\nname = \"bad\\u0001\"\n[[regions]]\nname = \"R\"\nguest_address = 0\nsize = \"4KB\"\ntype = \"ram\"\n")]
    [InlineData("memory.yaml", "memories:\n  \"bad\\uFFFD\": {base_addr: 0, size: 0x1000}\n")]
    public void Text_that_cannot_be_written_back_is_refused_on_reading(string name, string text)
    {
        string path = Write(name, text);
        string output = Path.Combine(_dir, "out.toml");
        var (exit, _, error) = name == "memory.yaml"
            ? CliRunner.Run("import", "halucinator", path, "-o", output)
            : CliRunner.Run("convert", path, "--to", "toml", "-o", output);
        Assert.True(exit == 1, error);
        Assert.Matches("U\\+|surrogate", error);
        Assert.False(File.Exists(output));
    }
}
