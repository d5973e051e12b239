using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

public sealed class DeviceConfigReaderTests
{
    private const string SeedToml = SeedExample.Toml;

    [Fact]
    public void The_seed_example_loads_unchanged()
    {
        var device = DeviceConfigReader.Parse(SeedToml, DeviceConfigFormat.Toml, "device.toml");
        Assert.Equal("MyDevice", device.Name);
        Assert.Equal("Custom device configuration", device.Description);
        Assert.Equal(4096UL, device.PageSize);
        Assert.True(device.AllocateAtOnce);
        var (ram, flash) = (device.Regions[0], device.Regions[1]);
        Assert.Equal(("RAM", 0UL, 1UL << 20, Permissions.ReadWrite, DeviceRegionType.Ram), (ram.Name, ram.Start, ram.Size, ram.Permissions, ram.Type));
        Assert.Equal(("Flash", 0x8000_0000UL, 64UL << 20, Permissions.ReadExecute, DeviceRegionType.Flash), (flash.Name, flash.Start, flash.Size, flash.Permissions, flash.Type));
        Assert.Empty(device.Warnings);
    }

    [Fact]
    public void The_example_file_is_the_seed_text()
    {
        string file = Path.Combine(Docs.ReadmeTests.RepositoryRoot, "examples", "devices", "device.toml");
        Assert.Equal(SeedToml.ReplaceLineEndings("\n").Trim(), File.ReadAllText(file).ReplaceLineEndings("\n").Trim());
        Assert.Equal("MyDevice", DeviceConfigReader.Load(file).Name);
    }

    [Fact]
    public void Yaml_and_json_use_the_same_schema()
    {
        const string yaml = """
            device:
              name: MyDevice
            memory:
              page_size: 4KB
            regions:
              - name: RAM
                guest_address: 0x20000000
                size: 0x1B000
                permissions: rw
                type: ram
            """;
        const string json = """
            { "device": { "name": "MyDevice" }, "memory": { "page_size": "4KB" },
              "regions": [ { "name": "RAM", "guest_address": 536870912, "size": "0x1B000", "permissions": "rw", "type": "ram" } ] }
            """;
        foreach (var device in new[] { DeviceConfigReader.Parse(yaml, DeviceConfigFormat.Yaml), DeviceConfigReader.Parse(json, DeviceConfigFormat.Json) })
        {
            Assert.Equal(0x2000_0000UL, device.Regions[0].Start);
            Assert.Equal(0x1B000UL, device.Regions[0].Size);
        }
    }

    [Theory]
    [InlineData("size = \"1MB\"", "size = \"12XB\"", "regions[0].size", 13)]
    [InlineData("permissions = \"RW\"", "permissions = \"RQ\"", "regions[0].permissions", 14)]
    [InlineData("type = \"ram\"", "type = \"dram\"", "regions[0].type", 15)]
    [InlineData("guest_address = \"0x80000000\"", "guest_address = \"0x00080000\"", "regions[1].guest_address", 19)]
    [InlineData("name = \"Flash\"", "name = \"RAM\"", "regions[1].name", 18)]
    [InlineData("size = \"64MB\"", "size = \"0\"", "regions[1].size", 20)]
    [InlineData("page_size = \"4KB\"", "page_size = \"3KB\"", "memory.page_size", 7)]
    [InlineData("type = \"flash\"", "type = \"flash\"\nspeed = 3", "regions[1].speed", 23)]
    public void Errors_name_file_line_field_and_value(string from, string to, string field, int line)
    {
        string text = ReplaceLast(SeedToml, from, to);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "device.toml"));
        var problem = Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(field, problem.Field);
        Assert.Equal("device.toml", problem.Location?.File);
        Assert.Equal(line, problem.Location?.Line);
        Assert.Contains($"device.toml:{line}:", e.Message);
    }

    [Theory]
    [InlineData("\"-5\"", "negative; it must be 0 or more")]
    [InlineData("\"99999999999999999999\"", "too large for 64 bits (the largest is 0xFFFFFFFFFFFFFFFF)")]
    [InlineData("\"0x1_0000_0000_0000_0000\"", "too large for 64 bits (the largest is 0xFFFFFFFFFFFFFFFF)")]
    [InlineData("\"0xZZ\"", "not a hexadecimal number")]
    [InlineData("\"twenty\"", "not a number")]
    public void A_bad_address_says_what_is_wrong_with_it(string value, string reason)
    {
        string text = ReplaceLast(SeedToml, "guest_address = \"0x80000000\"", $"guest_address = {value}");
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "device.toml"));
        Assert.Equal($"{value}: {reason}; write hex (0x20000000) or decimal", Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error).Message);
    }

    [Fact]
    public void Overlap_names_both_regions_and_the_range()
    {
        string text = SeedToml.Replace("0x80000000", "0x00080000", StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "device.toml"));
        Assert.Contains("'Flash'", e.Message);
        Assert.Contains("'RAM'", e.Message);
        Assert.Contains("[0x80000–0xFFFFF]", e.Message);
    }

    [Fact]
    public void Validation_errors_are_reported_beside_field_errors_at_the_files_own_entry_numbers()
    {
        // regions[0]'s size cannot be read, regions[1] is not a mapping, and regions[2] and [3] overlap: all are reported
        // in one pass, the overlap under the file's numbering (the validator saw only the two placed regions).
        string text = """
            device:
              name: X
            regions:
              - name: A
                guest_address: 0x0
                size: lots
                type: ram
              - 5
              - name: B
                guest_address: 0x20000000
                size: 1MB
                type: ram
              - name: C
                guest_address: 0x20000800
                size: 1MB
                type: ram
            boot:
              entry_point: 0x101
            """;
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Yaml, "device.yaml"));
        var errors = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Contains(errors, d => d.Field == "regions[0].size" && d.Location?.Line == 6);
        Assert.Contains(errors, d => d.Field == "regions[1]" && d.Location?.Line == 8);
        var overlap = Assert.Single(errors, d => d.Message.Contains("overlap", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(("regions[3].guest_address", 14), (overlap.Field, overlap.Location?.Line));
        Assert.Contains("'B'", overlap.Message);
        Assert.DoesNotContain(e.Diagnostics, d => d.Field.StartsWith("boot", StringComparison.Ordinal));   // in region A, whose size is unknown: not an error of its own
    }

    // An unterminated string makes every later line a syntax error for the parser: only the first, real
    // one is reported (it used to be third of nineteen).
    [Fact]
    public void An_unterminated_toml_string_is_one_error_at_its_line()
    {
        const string text = "[device]\nname = \"x\narchitecture = \"armv7-m\"\ncpu = \"cortex-m3\"\n\n[memory]\npage_size = \"1KB\"\n";
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "a.toml"));
        var only = Assert.Single(e.Diagnostics);
        Assert.Equal(2, only.Location?.Line);
        Assert.Contains("newline in a string", only.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("more syntax error(s) after it", only.Message);
    }

    [Fact]
    public void A_trailing_comma_in_json_is_a_located_error()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse("{\n \"device\": {\n  \"name\": \"x\",\n }\n}", DeviceConfigFormat.Json, "a.json"));
        Assert.Equal(4, Assert.Single(e.Diagnostics).Location?.Line);
    }

    [Fact]
    public void A_hook_at_neither_an_address_nor_a_symbol_is_a_located_error()
    {
        string toml = SeedToml + "\n[[symbols]]\nname = \"main\"\naddress = \"0x100\"\n\n[[hooks]]\nat = \"main\"\naction = \"stop\"\n\n[[hooks]]\nat = \"nosuch\"\naction = \"stop\"\n";
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(toml, DeviceConfigFormat.Toml, "device.toml"));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal("hooks[1].at", problem.Field);
        Assert.Equal(toml.Split('\n').ToList().FindLastIndex(l => l.Contains("nosuch", StringComparison.Ordinal)) + 1, problem.Location?.Line);
    }

    [Fact]
    public void A_key_given_twice_in_json_is_a_located_error_as_in_toml_and_yaml()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse("{\n \"device\": {\n  \"name\": \"A\",\n  \"name\": \"B\" }\n}", DeviceConfigFormat.Json, "a.json"));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal((4, 3), (problem.Location?.Line, problem.Location?.Column));
        Assert.Contains("'name' appears twice", problem.Message, StringComparison.Ordinal);
        Assert.Equal("(syntax)", problem.Field);   // as YAML's: the reader has no field path yet (a bare "name" read as the device's)
    }

    [Fact]
    public void Syntax_errors_carry_line_and_column_in_every_format()
    {
        var toml = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse("[device]\nname = \n", DeviceConfigFormat.Toml, "a.toml"));
        Assert.Equal(2, toml.Diagnostics[0].Location?.Line);
        var yaml = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse("device:\n  name: [x\n", DeviceConfigFormat.Yaml, "a.yaml"));
        Assert.True(yaml.Diagnostics[0].Location?.Line >= 2);
        var json = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse("{\n \"device\": {\n  \"name\": }\n}", DeviceConfigFormat.Json, "a.json"));
        Assert.Equal(3, json.Diagnostics[0].Location?.Line);
    }

    // A name the format types as a number or boolean is a slip, not a string; YAML's plain scalars are strings unless
    // its core schema reads them as a number, boolean or null (so `every: fuzzed` and `name: R1` need no quotes).
    [Theory]
    [InlineData("[device]\nname = 42\n", DeviceConfigFormat.Toml, 2, "42")]
    [InlineData("{\n \"device\": {\n  \"name\": 42 }\n}", DeviceConfigFormat.Json, 3, "42")]
    [InlineData("device:\n  name: 42\n", DeviceConfigFormat.Yaml, 2, "42")]
    [InlineData("device:\n  name: true\n", DeviceConfigFormat.Yaml, 2, "true")]
    [InlineData("device:\n  name: 0x10\n", DeviceConfigFormat.Yaml, 2, "0x10")]
    public void A_name_that_is_a_number_or_boolean_is_a_located_error(string text, DeviceConfigFormat format, int line, string value)
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, format, "a"));
        var problem = Assert.Single(e.Diagnostics, d => d.Field == "device.name");
        Assert.Equal(line, problem.Location?.Line);
        Assert.Equal($"{value}: must be a string (\"{value}\")", problem.Message);
    }

    [Fact]
    public void Plain_yaml_words_are_strings()
    {
        const string yaml = """
            device:
              name: R1
              architecture: arm
              cpu: cortex-m3
            regions:
              - name: FLASH
                guest_address: 0x08000000
                size: 64KiB
                type: flash
              - name: RAM
                guest_address: 0x20000000
                size: 20KiB
                type: ram
              - name: !!str 42
                guest_address: 0x40000000
                size: 1KiB
                type: ram
                description:
            interrupt_triggers:
              - name: tick
                irq: 15
                every: fuzzed
            """;
        var device = DeviceConfigReader.Parse(yaml, DeviceConfigFormat.Yaml, "a.yaml");
        Assert.Equal("R1", device.Name);
        Assert.Equal(("42", ""), (device.Regions[2].Name, device.Regions[2].Description));   // a tagged string; an empty value as none
        Assert.Null(Assert.Single(device.InterruptTriggers).Every);   // "fuzzed": intervals from the input
    }

    // A trigger's line past the NVIC's, or an at that names nothing, is found when the file is read and checked
    // (validate), located; both passed before and failed the run (the line as a guest fault naming a .NET parameter).
    [Fact]
    public void An_interrupt_trigger_past_the_nvic_or_at_nothing_is_a_located_error()
    {
        string Device(string trigger) => $$"""
            device: {name: T, architecture: armv7-m, cpu: cortex-m3}
            regions:
              - {name: FLASH, guest_address: 0x08000000, size: 64KiB, type: flash}
              - {name: RAM, guest_address: 0x20000000, size: 20KiB, type: ram}
              - {name: SCS, guest_address: 0xE000E000, size: 4KiB, type: mmio}
            interrupt_triggers:
              - name: t
                every: 50
            {{trigger}}
            """;
        var device = DeviceConfigReader.Parse(Device("    irq: 300"), DeviceConfigFormat.Yaml, "t.yaml");
        var error = Assert.Single(MemGate.Peripherals.PeripheralRegistry.Default.Check(device));
        Assert.Equal("interrupt_triggers[0].irq", error.Field);
        Assert.Contains("trigger 't': line 300 is not one the NVIC takes (0-", error.Message, StringComparison.Ordinal);
        Assert.Equal(("t.yaml", 9), (error.Location!.Value.File, error.Location.Value.Line));
        Assert.Empty(MemGate.Peripherals.PeripheralRegistry.Default.Check(DeviceConfigReader.Parse(Device("    irq: 59"), DeviceConfigFormat.Yaml, "t.yaml")));

        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(Device("    at: nosuch").Replace("    every: 50\n", "", StringComparison.Ordinal),
            DeviceConfigFormat.Yaml, "t.yaml"));
        var missing = Assert.Single(e.Diagnostics);
        Assert.Equal("interrupt_triggers[0].at", missing.Field);
        Assert.Contains("'nosuch' is neither an address nor one of the device's [[symbols]]", missing.Message, StringComparison.Ordinal);
        Assert.Equal(8, missing.Location!.Value.Line);
    }

    // What a run would trip over at once, or never reach, is a warning at validate: a Cortex-M without a vector table in
    // any region (the run ended at its first instruction as a guest fault), a region past a 32-bit CPU's 4 GiB.
    [Fact]
    public void A_cortex_m_without_vectors_or_with_regions_past_4_gib_is_warned_of()
    {
        var device = DeviceConfigReader.Parse("""
            device: {name: W, architecture: armv7-m, cpu: cortex-m3, address_width: 64}
            regions:
              - {name: RAM, guest_address: 0x20000000, size: 20KiB, type: ram}
              - {name: HIGH, guest_address: 0x100000000, size: 4KiB, type: ram}
            """, DeviceConfigFormat.Yaml, "w.yaml");
        var warnings = MemGate.Emulation.FirmwareMachine.RunWarnings(device).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("the reset vector table at 0x00000000 lies in no memory region", warnings[0].Message, StringComparison.Ordinal);
        Assert.Equal(("regions[1].guest_address", 4), (warnings[1].Field, warnings[1].Location!.Value.Line));
        Assert.Contains("past the 4 GiB a 32-bit CPU (cortex-m3) addresses", warnings[1].Message, StringComparison.Ordinal);
        Assert.Empty(MemGate.Emulation.FirmwareMachine.RunWarnings(DeviceTemplates.Load("STM32F103")));
        Assert.Empty(MemGate.Emulation.FirmwareMachine.RunWarnings(DeviceTemplates.Load("RV32")));
    }

    [Fact]
    public void Executable_ram_is_a_warning_not_an_error()
    {
        var device = DeviceConfigReader.Parse(SeedToml.Replace("\"RW\"", "\"RWX\"", StringComparison.Ordinal), DeviceConfigFormat.Toml, "device.toml");
        var warning = Assert.Single(device.Warnings);
        Assert.Equal("regions[0].permissions", warning.Field);
    }

    private static string ReplaceLast(string text, string from, string to)
    {
        int i = text.LastIndexOf(from, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{from}' not in the seed text");
        return text[..i] + to + text[(i + from.Length)..];
    }

    // YAML 1.1's merge key would have been read as a key of its own, the merged fields silently missing: it is refused.
    [Fact]
    public void A_yaml_merge_key_is_refused_at_its_line()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(
            "base: &b {size: 4096}\nregions:\n  - name: RAM\n    <<: *b\n", DeviceConfigFormat.Yaml, "merge.yaml"));
        Assert.Contains("merge keys", e.Message);
        Assert.Contains("merge.yaml:4:", e.ToString());
    }

    // A second document ('---') would have been dropped silently, whatever it said: refused where it starts, as PyYAML does.
    [Fact]
    public void A_second_yaml_document_is_refused_at_its_line()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(
            "---\nname: one\n...\n---\nname: two\n", DeviceConfigFormat.Yaml, "two.yaml"));
        Assert.Contains("a second YAML document", e.ToString());
        Assert.Contains("two.yaml:4:", e.ToString());
    }
}
