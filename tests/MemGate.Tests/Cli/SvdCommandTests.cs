using System.Text.Json;

namespace MemGate.Tests.Cli;

public sealed class SvdCommandTests
{
    private static readonly string Svd = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "features.svd");

    [Fact]
    public void Lists_peripherals_registers_and_fields()
    {
        var (exit, output, error) = CliRunner.Run("svd", Svd);
        Assert.Equal((0, ""), (exit, error));
        Assert.Contains("TIMER1 0x40000400 (1 KiB) derived from TIMER0", output);
        Assert.Contains("UIF [1] rw w1c", output);
        Assert.Contains("OVR [2] ro read:clear", output);
        Assert.Contains("CHB.VAL[1] +0x54 16-bit", output);
        Assert.Contains("ARR +0x8 16-bit reset 0xFFF ", output);   // resetValue 0xFFFF under resetMask 0x0FFF: what the register reads after reset
    }

    [Fact]
    public void Json_has_numbers_and_behaviours()
    {
        var (exit, output, _) = CliRunner.Run("svd", Svd, "--json", "-p", "TIMER0");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var timer = Assert.Single(json.RootElement.GetProperty("peripherals").EnumerateArray());
        Assert.Equal(0x4000_0000UL, timer.GetProperty("baseAddress").GetUInt64());
        var sr = timer.GetProperty("registers").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "SR");
        var uif = sr.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "UIF");
        Assert.Equal(("w1c", 1), (uif.GetProperty("write").GetString(), uif.GetProperty("bitOffset").GetInt32()));
    }

    // Overlaps are judged by registers: an address block reaching into the next peripheral (as in ST's
    // STM32F103 SVD, BKP into PWR) is trimmed with a warning, and both peripherals are shown and work.
    [Fact]
    public void Address_blocks_that_overlap_without_their_registers_are_trimmed_with_a_warning()
    {
        string svd = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "overlapping-blocks.svd");
        var (exit, output, error) = CliRunner.Run("show", "STM32F103", "--svd", svd);
        Assert.Equal(0, exit);
        Assert.Contains("warning: peripheral[BKP]: its address block", error);
        Assert.Contains("overlaps 'PWR'", error);
        (exit, output, error) = CliRunner.Run("show", "STM32F103", "--svd", svd, "--json");
        Assert.Equal(0, exit);
        using (var report = System.Text.Json.JsonDocument.Parse(error))   // with --json, the warnings are one JSON line too
        {
            var warning = report.RootElement.GetProperty("warnings").EnumerateArray().First(w => w.GetProperty("field").GetString() == "peripheral[BKP]");
            Assert.Equal("warning", warning.GetProperty("severity").GetString());
            Assert.Contains("overlaps 'PWR'", warning.GetProperty("message").GetString());
        }
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var peripherals = json.RootElement.GetProperty("peripherals").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("size").GetUInt64());
        Assert.Equal((0x2CUL, 0x400UL), (peripherals["BKP"], peripherals["PWR"]));

        var warnings = new List<MemGate.Mmio.Svd.SvdWarning>();
        var trimmed = MemGate.Mmio.Svd.SvdReader.Load(svd).WithBlocksTrimmedToRegisters(warnings);
        Assert.Equal(["BKP", "PWR"], trimmed.Select(p => p.Name));   // file order kept
        Assert.Equal("peripheral[BKP]", Assert.Single(warnings).Element);
        Assert.True(warnings[0].Line > 0);
    }

    // Peripherals whose registers share addresses (an array with dimIncrement 0) are said by svd, as a device attaching them
    // would refuse them: a warning, an error with --strict.
    [Fact]
    public void Peripherals_sharing_addresses_are_said_and_refused_with_strict()
    {
        string dir = Directory.CreateTempSubdirectory("memgate-svd").FullName;
        try
        {
            string svd = Path.Combine(dir, "shared.svd");
            static string Peripheral(string name) => $"<peripheral><name>{name}</name><baseAddress>0x40001000</baseAddress>" +
                "<addressBlock><offset>0</offset><size>0x4</size><usage>registers</usage></addressBlock>" +
                "<registers><register><name>DR</name><addressOffset>0</addressOffset><size>32</size></register></registers></peripheral>";
            File.WriteAllText(svd, "<?xml version=\"1.0\"?><device schemaVersion=\"1.3\"><name>D</name><addressUnitBits>8</addressUnitBits><width>32</width>" +
                $"<size>32</size><peripherals>{Peripheral("GPIO2")}{Peripheral("GPIO3")}</peripherals></device>");
            var (exit, _, error) = CliRunner.Run("svd", svd);
            Assert.Equal(0, exit);
            Assert.Contains("warning: peripheral[GPIO3]: [0x40001000, size 0x4] shares addresses with GPIO2", error);
            (exit, _, error) = CliRunner.Run("svd", svd, "--strict");
            Assert.Equal(1, exit);
            Assert.Contains("error: peripheral[GPIO3]", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Show_merges_svd_peripherals_and_warns_about_those_outside_the_map()
    {
        var (exit, output, error) = CliRunner.Run("show", "STM32F103", "--svd", Svd);
        Assert.Equal(0, exit);
        // The template's TIM2 is a model, which a run keeps at its address: the SVD's TIMER0 there is left out, with a warning.
        Assert.Matches(@"TIM2\s+│ 0x40000000 │", output);
        Assert.DoesNotContain("TIMER0", output);
        Assert.Matches(@"features\.svd:\d+: warning: peripheral\[TIMER0\]: \[0x40000000, size 0x400\] shares addresses with 'TIM2', which serves them, so it is not attached", error);

        (exit, _, error) = CliRunner.Run("show", "ESP8266", "--svd", Svd);
        Assert.Equal(0, exit);
        Assert.Equal(4, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("is not inside any peripheral (mmio) region, so it is not attached")));
    }

    [Fact]
    public void Config_attaches_the_device_files_svd()
    {
        string board = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "board.toml");
        var (exit, output, error) = CliRunner.Run("config", board, "--allocate");
        Assert.Equal((0, ""), (exit, error));
        Assert.Contains("Register blocks from features.svd: GPIO2, GPIO3, TIMER0, TIMER1.", output);
    }

    [Fact]
    public void Malformed_svd_is_invalid_input_with_its_line()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-svd").FullName, "bad.svd");
        File.WriteAllText(path, "<device><name>X</name>\n<peripherals><peripheral><name>P</name></peripheral></peripherals></device>");
        var (exit, _, error) = CliRunner.Run("svd", path);
        Assert.Equal(1, exit);
        Assert.StartsWith($"{path}:2: error: peripheral[P]:", error);   // as every file problem: file:line: error: field: message
    }
}
