using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MemGate.Cli;
using MemGate.Devices;

namespace MemGate.Tests.Cli;

public sealed class DeviceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string SeedToml = Devices.SeedExample.Toml;

    [Theory]
    [InlineData(new[] { "pss" }, "memgate: 'pss': did you mean 'ps'?")]
    [InlineData(new[] { "show", "STM32F103", "--jsn" }, "memgate: '--jsn': did you mean '--json'?")]
    [InlineData(new[] { "run", "x.elf", "--max-instruction", "5" }, "memgate: '--max-instruction': did you mean '--max-instructions'?")]
    [InlineData(new[] { "run", "--from-snapsot", "x.mgsnap" }, "memgate: '--from-snapsot': did you mean '--from-snapshot'?")]
    // Taken for the command's argument (a device file, a firmware) when nothing else was wrong: still an unknown option.
    [InlineData(new[] { "validate", "--jsn", "a.toml" }, "memgate: '--jsn': did you mean '--json'?")]
    [InlineData(new[] { "run", "--from-snapsot=x.mgsnap" }, "memgate: '--from-snapsot=x.mgsnap': did you mean '--from-snapshot'?")]
    public void A_mistyped_command_or_option_gets_the_closest_one_suggested(string[] args, string suggestion)
    {
        var (exit, _, error) = CliRunner.Run(args);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains(suggestion, error);
    }

    [Fact]
    public void A_word_near_no_command_gets_no_suggestion()
    {
        var (exit, _, error) = CliRunner.Run("frobnicate");
        Assert.Equal(CliApp.Usage, exit);
        Assert.DoesNotContain("did you mean", error);
        Assert.DoesNotContain("Required command was not provided", error);   // the word is the problem, not a missing one
        Assert.Contains("'frobnicate'", error);
        // An option alone is no command word: the command is still missing, and says so.
        (exit, _, error) = CliRunner.Run("--jsn");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("Required command was not provided", error);
    }

    [Fact]
    public void List_shows_every_template_and_json_has_numbers()
    {
        var (exit, output, _) = CliRunner.Run("list");
        Assert.Equal(0, exit);
        Assert.All(DeviceTemplates.Names, name => Assert.Contains(name, output));
        Assert.Matches(@"STM32F103\s+│ armv7-m\s+│ cortex-m3\s+│\s+128 KiB │\s+20 KiB │", output);

        (exit, output, _) = CliRunner.Run("list", "--json");
        using var json = JsonDocument.Parse(output);
        var avr = json.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "ATmega328");
        Assert.Equal(32768UL, avr.GetProperty("flashBytes").GetUInt64());
        Assert.Equal(2048UL, avr.GetProperty("ramBytes").GetUInt64());
    }

    [Fact]
    public void Show_json_has_the_documented_shape()
    {
        var (exit, output, error) = CliRunner.Run("show", "STM32F103", "--json");
        Assert.Equal((0, ""), (exit, error));
        using var json = JsonDocument.Parse(output);
        Assert.Equal("STM32F103", json.RootElement.GetProperty("name").GetString());
        var flash = json.RootElement.GetProperty("regions").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "Flash");
        Assert.Equal(JsonValueKind.Number, flash.GetProperty("start").ValueKind);
        Assert.Equal(0x0800_0000UL, flash.GetProperty("start").GetUInt64());
        Assert.Equal(128UL * 1024, flash.GetProperty("size").GetUInt64());
        Assert.Equal("rx", flash.GetProperty("permissions").GetString());
        Assert.Equal("flash", flash.GetProperty("type").GetString());
        Assert.Equal("main", flash.GetProperty("space").GetString());
    }

    [Fact]
    public void Show_table_lists_regions_with_spaces_for_avr()
    {
        var (exit, output, _) = CliRunner.Run("show", "ATmega328");
        Assert.Equal(0, exit);
        Assert.Matches(@"SRAM\s+│ 0x0100 │ 0x08FF │\s+2 KiB │ rw-\s+│ ram\s+│ data", output);
        Assert.Matches(@"EEPROM\s+│ 0x0000 │ 0x03FF │\s+1 KiB │ rw-\s+│ storage\s+│ eeprom", output);
    }

    [Fact]
    public void Seed_commands_allocate_and_print()
    {
        var (exit, output, error) = CliRunner.Run("template", "STM32F103", "--allocate", "--print");
        Assert.Equal((0, ""), (exit, error));
        Assert.Matches(@"Flash\s+│ 0x08000000\s+│ 0x0801FFFF\s+│ 128 KiB │ r-x\s+│ flash\s+│ 0x[0-9a-f]+", output);
        Assert.Matches(@"BootAlias\s+│ 0x00000000\s+│.*alias of Flash", output);
        Assert.Contains("STM32F103: allocated 11 regions", output);

        string file = WriteFile("device.toml", SeedToml);
        (exit, output, error) = CliRunner.Run("config", file, "--allocate", "--print", "--json");
        Assert.Equal((0, ""), (exit, error));
        using var json = JsonDocument.Parse(output);
        var regions = json.RootElement.GetProperty("spaces")[0].GetProperty("memory").GetProperty("regions");
        Assert.Equal(["RAM", "Flash"], regions.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.True(regions[1].GetProperty("host").GetUInt64() > 0);
    }

    // The machine is picked from cpu and architecture: a contradiction is an error where the file gives the architecture,
    // and an Arm core no machine runs is a warning at the cpu (a run refuses it, and says where too).
    [Fact]
    public void Validate_checks_the_cpu_against_the_architecture_and_the_machines()
    {
        string both = WriteFile("both.toml", SeedToml.Replace("name = \"MyDevice\"", "name = \"MyDevice\"\ncpu = \"cortex-m3\"\narchitecture = \"rv32imac\"", StringComparison.Ordinal));
        var (exit, _, error) = CliRunner.Run("validate", both);
        Assert.Equal(1, exit);
        Assert.Contains($"{both}:4:", error);
        Assert.Contains("device.architecture: architecture 'rv32imac' is RISC-V, but cpu 'cortex-m3' is an Arm M-profile core", error);

        string odd = WriteFile("odd.toml", SeedToml.Replace("name = \"MyDevice\"", "name = \"MyDevice\"\ncpu = \"cortex-m9\"", StringComparison.Ordinal));
        (exit, var output, error) = CliRunner.Run("validate", odd);
        Assert.Equal(0, exit);
        Assert.Contains($"{odd}: valid, 1 warning(s)", output);
        Assert.Contains($"{odd}:3:7: warning: device.cpu: memgate run and fuzz refuse this device: Device 'MyDevice' has CPU 'cortex-m9';", error);
        var run = CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"), "--device", odd);
        Assert.Equal(1, run.Exit);
        Assert.Contains($"{odd}:3:7: Device 'MyDevice' has CPU 'cortex-m9'", run.Err);

        Assert.Equal($"{WriteFile("plain.toml", SeedToml)}: valid", CliRunner.Run("validate", Path.Combine(_dir, "plain.toml")).Out.Trim());
    }

    [Fact]
    public void Validate_reports_each_problem_on_its_own_line()
    {
        string good = WriteFile("good.toml", SeedToml);
        string bad = WriteFile("bad.toml", SeedToml.Replace("\"64MB\"", "\"0\"", StringComparison.Ordinal).Replace("\"RX\"", "\"RQ\"", StringComparison.Ordinal));
        var (exit, output, error) = CliRunner.Run("validate", good, bad);
        Assert.Equal(1, exit);
        Assert.Contains($"{good}: valid", output);
        Assert.Contains($"{bad}: invalid, 2 error(s)", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"{bad}:20:", StringComparison.Ordinal) && l.Contains("regions[1].size"));
        Assert.Contains(lines, l => l.StartsWith($"{bad}:21:", StringComparison.Ordinal) && l.Contains("letter 'Q'"));

        // --json: one line per file; each problem an object with file, line, column, field, severity and message.
        (exit, output, _) = CliRunner.Run("validate", good, bad, "--json");
        var reports = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, reports.Length);
        using var json = JsonDocument.Parse(reports[1]);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var errors = json.RootElement.GetProperty("errors");
        Assert.Equal(2, errors.GetArrayLength());
        var size = errors.EnumerateArray().Single(e => e.GetProperty("field").GetString() == "regions[1].size");
        Assert.Equal((bad, 20, "error"), (size.GetProperty("file").GetString(), size.GetProperty("line").GetInt32(), size.GetProperty("severity").GetString()));
        Assert.True(size.GetProperty("column").GetInt32() > 0);
        Assert.False(string.IsNullOrEmpty(size.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("STM32F13", "Did you mean 'STM32F103'?")]
    [InlineData("stm32f4O7", "Did you mean 'STM32F407'?")]
    [InlineData("ESP33", "Did you mean 'ESP32'?")]
    public void A_template_typo_gets_a_suggestion(string typo, string suggestion)
    {
        var (exit, _, error) = CliRunner.Run("show", typo);
        Assert.Equal(1, exit);
        Assert.Contains(suggestion, error);
    }

    [Fact]
    public void A_device_file_typo_gets_a_suggestion()
    {
        string file = WriteFile("board.toml", SeedToml);
        var (exit, _, error) = CliRunner.Run("show", Path.Combine(Path.GetDirectoryName(file)!, "baord.toml"));
        Assert.Equal(1, exit);
        Assert.Contains("Did you mean 'board.toml'?", error);
        Assert.Null(NameSuggestion.Closest("XYZZY", MemGate.Devices.DeviceTemplates.Names));   // nothing close: no suggestion
    }

    [Theory]
    [InlineData("toml")]
    [InlineData("yaml")]
    [InlineData("json")]
    public void Convert_writes_a_file_that_loads_back_the_same(string format)
    {
        string target = Path.Combine(_dir, $"esp32.{format}");
        var (exit, _, error) = CliRunner.Run("convert", "ESP32", "--to", format, "-o", target);
        Assert.Equal((0, ""), (exit, error));
        Devices.DeviceConfigRoundTripTests.AssertSame(DeviceTemplates.Load("ESP32"), MemGate.Devices.Config.DeviceConfigReader.Load(target));
    }

    [Fact]
    public void Map_svg_is_xml_with_a_labelled_band_per_region()
    {
        string svg = Path.Combine(_dir, "map.svg");
        var (exit, _, error) = CliRunner.Run("map", "STM32F103", "--svg", svg);
        Assert.Equal((0, ""), (exit, error));
        var document = XDocument.Load(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bands = document.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "region").ToList();
        var device = DeviceTemplates.Load("STM32F103");
        Assert.Equal(device.Regions.Select(r => r.Name).Order(), bands.Select(b => (string)b.Attribute("data-name")!).Order());
        string texts = string.Join("\n", document.Descendants(ns + "text").Select(t => t.Value));
        Assert.Contains("0x20004FFF", texts);
        Assert.Contains("16 B  r--  rom", texts);      // the 16-byte option bytes are visible …
        Assert.Contains("32 MiB  rw-  alias of APB1", texts); // … beside the 32 MiB alias
        // Both a 16-byte and a 32 MiB region get a band at least 18 px high.
        Assert.All(bands, b => Assert.True(int.Parse(b.Element(ns + "rect")!.Attribute("height")!.Value) >= 18));
    }

    [Fact]
    public void Map_text_has_gaps_and_every_region()
    {
        var (exit, output, _) = CliRunner.Run("map", "ESP32", "--text");
        Assert.Equal(0, exit);
        Assert.All(DeviceTemplates.Load("ESP32").Regions, r => Assert.Contains(r.Name, output));
        Assert.Contains("(gap of", output);
    }

    [Fact]
    public void Import_writes_a_device_file()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator", "memory.yaml");
        string target = Path.Combine(_dir, "imported.toml");
        var (exit, output, _) = CliRunner.Run("import", "halucinator", source, "-o", target);
        Assert.Equal(0, exit);
        Assert.Contains("Imported 4 regions", output);
        Assert.Equal(["alias", "flash", "ram", "logger"], MemGate.Devices.Config.DeviceConfigReader.Load(target).Regions.Select(r => r.Name));

        // An output name that says no format is a usage error (2), found before anything is read or written.
        (exit, _, var error) = CliRunner.Run("import", "halucinator", source, "-o", Path.Combine(_dir, "imported.txt"));
        Assert.Equal((CliApp.Usage, false), (exit, File.Exists(Path.Combine(_dir, "imported.txt"))));
        Assert.Contains("--output", error);
    }

    [Fact]
    public void Import_to_standard_output_names_the_firmware_by_full_path_so_the_file_works_wherever_it_is_saved()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator", "memory.yaml");
        var (exit, output, error) = CliRunner.Run("import", "halucinator", source);
        Assert.True(exit == 0, error);
        Directory.CreateDirectory(Path.Combine(_dir, "elsewhere"));
        string saved = WriteFile(Path.Combine("elsewhere", "device.toml"), output);
        var device = MemGate.Devices.Config.DeviceConfigReader.Load(saved);
        string firmware = Path.Combine(Path.GetDirectoryName(source)!, "firmware.bin");
        Assert.All(device.Regions.Where(r => r.InitFile is not null), r => Assert.Equal(firmware, r.InitFile));
        var (valid, _, problems) = CliRunner.Run("validate", saved);
        Assert.True(valid == 0, problems);
    }

    [Fact]
    public void Validate_reports_a_missing_firmware_or_svd_file_at_its_line()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator", "memory.yaml");
        string target = Path.Combine(_dir, "device.toml");
        Assert.Equal(0, CliRunner.Run("import", "halucinator", source, "-o", target).Exit);
        var lines = File.ReadAllLines(target);
        int line = Array.FindIndex(lines, l => l.StartsWith("file = ", StringComparison.Ordinal));
        lines[line] = "file = \"gone.bin\"";
        File.WriteAllLines(target, lines);
        var (exit, output, error) = CliRunner.Run("validate", target);
        Assert.Equal(1, exit);
        Assert.Contains("invalid", output);
        Assert.Contains($"{target}:{line + 1}:8: error: regions[", error);   // at its value, as every error is
        Assert.Contains($"initial contents file '{Path.Combine(_dir, "gone.bin")}' does not exist", error);

        // A file no run can read (/dev/zero would never end) is refused by validate and by a load, both at its line.
        lines[line] = "file = \"/dev/zero\"";
        File.WriteAllLines(target, lines);
        (exit, _, error) = CliRunner.Run("validate", target);
        Assert.Equal(1, exit);
        Assert.Contains($"{target}:{line + 1}:8: error: regions[", error);
        Assert.Contains("'/dev/zero' is a character device", error);
        (exit, _, error) = CliRunner.Run("config", target, "--allocate");
        Assert.Equal(1, exit);
        Assert.Contains($"{target}:{line + 1}:8: error: regions[", error);
    }

    [Fact]
    public void A_missing_svd_file_is_reported_where_the_device_names_it_not_at_a_comment_that_mentions_it()
    {
        string board = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "board.toml");
        string copy = Path.Combine(_dir, "board.toml");
        File.Copy(board, copy);   // without features.svd beside it; its first line is a comment naming features.svd
        var (exit, _, error) = CliRunner.Run("validate", copy);
        Assert.Equal(1, exit);
        Assert.Contains($"{copy}:6:", error);
        Assert.Contains("error: device.svd: SVD file", error);
    }

    // A Cortex-M3 device file with a flash region (its size on line 8) and 16 KiB of SRAM.
    private string FlashAndSram(string file, string name, string flashAddress, string flashSize, string sramPermissions) => WriteFile(file, $"""
        [device]
        name = "{name}"
        cpu = "cortex-m3"

        [[regions]]
        name = "Flash"
        guest_address = "{flashAddress}"
        size = "{flashSize}"
        permissions = "rx"
        type = "flash"

        [[regions]]
        name = "SRAM"
        guest_address = "0x20000000"
        size = "16KB"
        permissions = "{sramPermissions}"
        type = "ram"
        """);

    // show lists regions and peripherals in address order, whatever order the file gives them in.
    [Fact]
    public void Show_lists_regions_in_address_order()
    {
        var (exit, output, _) = CliRunner.Run("show", "STM32F429");
        Assert.Equal(0, exit);
        Assert.True(output.IndexOf("OptionBytesBank2", StringComparison.Ordinal) < output.IndexOf("SystemMemory", StringComparison.Ordinal));
        Assert.StartsWith("STM32F429  armv7e-m / cortex-m4, little endian", output, StringComparison.Ordinal);
    }

    // Under --json, stderr is JSON Lines throughout: a device file's warnings come as one JSON line, not as text.
    [Fact]
    public void A_device_files_warnings_are_a_json_line_under_json()
    {
        string device = FlashAndSram("rwx.toml", "Rwx", "0x08000000", "128KB", sramPermissions: "rwx");
        var (_, _, error) = CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"), "--device", device, "--max-instructions", "10", "--json");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using (var warnings = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("run", warnings.RootElement.GetProperty("command").GetString());
            Assert.Equal("regions[1].permissions", Assert.Single(warnings.RootElement.GetProperty("warnings").EnumerateArray()).GetProperty("field").GetString());
        }
        using var run = JsonDocument.Parse(lines[1]);   // the run's own line (it faults early: this device has no peripherals)
        Assert.Equal("Rwx", run.RootElement.GetProperty("device").GetString());
    }

    // validate takes template names as the other commands do; template refuses a device file by saying what it takes.
    [Fact]
    public void Validate_checks_templates_by_name_and_template_says_it_takes_no_file()
    {
        var (exit, output, _) = CliRunner.Run("validate", "STM32F103", "rv32");
        Assert.Equal(0, exit);
        Assert.Contains("STM32F103: valid", output);
        Assert.Contains("rv32: valid", output);
        string file = WriteFile("board.toml", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "board.toml")));
        (exit, _, var error) = CliRunner.Run("template", file);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains($"'{file}' is a device file; 'memgate template' takes a template name", error);
    }

    // An executable region that fills the CPU engine's page at one end only in part: validate warns, at the key to change,
    // rather than leaving it to every run's fault.
    [Fact]
    public void Validate_warns_about_an_executable_region_that_ends_inside_an_engine_page()
    {
        string device = FlashAndSram("tiny.toml", "Tiny", "0x0", "512", sramPermissions: "rw");
        var (exit, output, error) = CliRunner.Run("validate", device);
        Assert.Equal(0, exit);
        Assert.Contains("valid, 1 warning(s)", output);
        Assert.Contains($"{device}:8:", error);   // the size
        Assert.Contains("warning: regions[0].size: executable region 'Flash' [0x0, 0x200) does not start and end on the CPU engine's 1 KiB pages", error);
    }

    // A model nobody knows is an error for every command that reads the device, as for validate and run (show, map and
    // config printed the file as if it were fine).
    [Theory]
    [InlineData("validate")]
    [InlineData("show")]
    [InlineData("map")]
    [InlineData("config")]
    public void An_unknown_peripheral_model_is_refused_by_every_command(string command)
    {
        string board = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "board.toml"));
        string device = WriteFile("board.toml", board[..board.IndexOf("[[rules]]", StringComparison.Ordinal)].Replace("svd = \"features.svd\"\n", "", StringComparison.Ordinal)
            + "[[peripherals]]\nname = \"U\"\nbase = \"0x40001400\"\nsize = \"1KB\"\nmodel = \"stm32-usartt\"\n");
        var (exit, _, error) = CliRunner.Run(command, device);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains("peripherals[0].model: U: unknown model 'stm32-usartt' (did you mean 'stm32-usart'?)", error);
    }

    // An SVD with two broken peripherals: validate (text and --json) gives each as its own error at its own line of the SVD.
    [Fact]
    public void Validate_gives_each_problem_of_the_svd_at_its_line()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd");
        File.WriteAllText(Path.Combine(_dir, "features.svd"), """
            <device>
              <name>BROKEN</name>
              <peripherals>
                <peripheral derivedFrom="GHOST"><name>A</name><baseAddress>0x40000000</baseAddress></peripheral>
                <peripheral><name>B</name><baseAddress>0x40000100</baseAddress>
                  <registers><register><name>R</name><addressOffset>0</addressOffset><access>sometimes</access></register></registers></peripheral>
              </peripherals>
            </device>
            """);
        string device = WriteFile("board.toml", File.ReadAllText(Path.Combine(fixtures, "board.toml")).Replace("[[rules]]", "[[unused]]", StringComparison.Ordinal).Split("[[unused]]")[0]);
        string svdFile = Path.Combine(_dir, "features.svd");
        var (exit, output, error) = CliRunner.Run("validate", device);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains("invalid, 2 error(s)", output);
        Assert.Contains($"{svdFile}:4: error: peripheral[A]", error);
        Assert.Contains($"{svdFile}:6: error: peripheral[B]/register[R]", error);
        using var report = JsonDocument.Parse(CliRunner.Run("validate", device, "--json").Out);
        var rows = report.RootElement.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([(svdFile, 4), (svdFile, 6)], rows.Select(r => (r.GetProperty("file").GetString(), r.GetProperty("line").GetInt32())));
        Assert.All(rows, r => Assert.DoesNotContain("\n", r.GetProperty("message").GetString()));
    }

    // What a run warns about the SVD (a peripheral outside every mmio region, fields that overlap), validate says too, at
    // the SVD's lines; --strict makes the tolerated flaw an error. An SVD peripheral where the machine's own SCS is (the
    // Cortex-M's, not in the file) is left out as a run leaves it out, so a rule on it is an error for validate as well.
    [Fact]
    public void Validate_warns_about_the_svd_as_a_run_does_and_knows_the_models_the_machine_adds()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd");
        string svd = File.ReadAllText(Path.Combine(fixtures, "features.svd"));
        var doc = XDocument.Parse(svd, LoadOptions.PreserveWhitespace);
        var peripherals = doc.Root!.Element("peripherals")!;
        peripherals.Add(XElement.Parse("""
            <peripheral><name>SCB</name><baseAddress>0xE000ED00</baseAddress><addressBlock><offset>0</offset><size>0x40</size><usage>registers</usage></addressBlock>
              <registers><register><name>CPUID</name><addressOffset>0</addressOffset><size>32</size><resetValue>0</resetValue>
                <fields><field><name>REV</name><bitOffset>0</bitOffset><bitWidth>4</bitWidth></field><field><name>WIDE</name><bitOffset>2</bitOffset><bitWidth>4</bitWidth></field></fields>
              </register></registers></peripheral>
            """));
        File.WriteAllText(Path.Combine(_dir, "features.svd"), doc.ToString(SaveOptions.DisableFormatting));
        // 1 KiB of APB: TIMER1 (0x40000400) and the GPIOs are outside it; a PPB region holds the SCB.
        string board = File.ReadAllText(Path.Combine(fixtures, "board.toml"))
            .Replace("size = \"8KB\"", "size = \"1KB\"", StringComparison.Ordinal)
            .Replace("[[rules]]\nregister = \"TIMER1.SR\"\nfield = \"READY\"\nreads = \"clear\"\n", "", StringComparison.Ordinal)
            + "\n[[regions]]\nname = \"PPB\"\nguest_address = \"0xE0000000\"\nsize = \"1MB\"\npermissions = \"rw\"\ntype = \"mmio\"\n";
        string device = WriteFile("board.toml", board);
        string svdFile = Path.Combine(_dir, "features.svd");

        var (exit, output, error) = CliRunner.Run("validate", device);
        Assert.Equal(0, exit);
        Assert.Matches(@"valid, \d+ warning\(s\)", output);
        Assert.Matches($@"{Regex.Escape(svdFile)}:\d+: warning: peripheral\[TIMER1\]: \[0x40000400, size 0x400\] is not inside any peripheral \(mmio\) region, so it is not attached", error);
        Assert.Matches($@"{Regex.Escape(svdFile)}:\d+: warning: peripheral\[SCB\]: \[0xE000ED00, size 0x40\] shares addresses with 'SCS', which serves them", error);
        Assert.Contains("'REV' and 'WIDE' overlap", error);

        using (var report = JsonDocument.Parse(CliRunner.Run("validate", device, "--json").Out))
        {
            var rows = report.RootElement.GetProperty("warnings").EnumerateArray().ToList();
            Assert.Contains(rows, r => r.GetProperty("file").GetString() == svdFile && r.GetProperty("line").GetInt32() > 0 && r.GetProperty("field").GetString() == "peripheral[SCB]");
        }

        (exit, _, error) = CliRunner.Run("validate", device, "--strict");
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains("overlap", error);

        // A rule on the SCB: the run would find no such attached peripheral; validate says so at the rule.
        File.AppendAllText(device, "\n[[rules]]\nregister = \"SCB.CPUID\"\nfield = \"REV\"\nreads = \"clear\"\n");
        (exit, _, error) = CliRunner.Run("validate", device);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains("rule 'SCB.CPUID.REV': SVD peripheral 'SCB' [0xE000ED00, size 0x40] shares addresses with 'SCS', which serves them, so it is not attached", error);
    }

    // What allocation would refuse about a region's file (more bytes than the region holds, an offset past its end)
    // validate reports too, at the line naming the file: it said "valid" and the run then failed without a place.
    [Theory]
    [InlineData("", "more than the region holds", "10:8: error: regions[0].file")]
    [InlineData("file_offset = \"20000\"\n", "is past the end of", "11:15: error: regions[0].file_offset")]   // the offset's fault, at its key
    public void Validate_reports_a_region_file_that_does_not_fit_at_its_line(string extra, string expected, string where)
    {
        File.WriteAllBytes(Path.Combine(_dir, "big.bin"), new byte[10_000]);
        string device = Path.Combine(_dir, "fit.toml");
        File.WriteAllText(device, "[device]\nname = \"Fit\"\ncpu = \"cortex-m3\"\n\n[[regions]]\nname = \"F\"\nguest_address = \"0x08000000\"\nsize = \"4KB\"\ntype = \"flash\"\nfile = \"big.bin\"\n" + extra);
        var (exit, _, error) = CliRunner.Run("validate", device);
        Assert.Equal(1, exit);
        Assert.Contains($"{device}:{where}", error);
        Assert.Contains(expected, error);
        // A run refuses it at the same place, with the same field.
        var run = CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"), "--device", device);
        Assert.Equal(1, run.Exit);
        Assert.Contains($"{device}:{where}", run.Err);
    }

    [Fact]
    public void Convert_keeps_firmware_files_found_from_the_new_folder_and_refuses_an_extension_of_another_format()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator", "memory.yaml");
        string device = Path.Combine(_dir, "device.toml");
        Assert.Equal(0, CliRunner.Run("import", "halucinator", source, "-o", device).Exit);
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        string moved = Path.Combine(_dir, "sub", "device.yaml");
        var (exit, _, error) = CliRunner.Run("convert", device, "--to", "yaml", "-o", moved);
        Assert.True(exit == 0, error);
        Assert.Equal(0, CliRunner.Run("validate", moved).Exit);   // its firmware file is found from sub/
        var conflict = CliRunner.Run("convert", device, "--to", "yaml", "-o", Path.Combine(_dir, "wrong.toml"));
        Assert.Equal((2, false), (conflict.Exit, File.Exists(Path.Combine(_dir, "wrong.toml"))));
        Assert.Contains("its extension says TOML, --to says YAML", conflict.Err);
    }

    [Theory]
    [InlineData(new[] { "show", "NoSuchPart" }, 1, "No device template 'NoSuchPart'")]
    [InlineData(new[] { "config", "/nonexistent/device.toml" }, 1, "does not exist")]
    [InlineData(new[] { "convert", "ESP32", "--to", "xml" }, 2, "xml")]
    [InlineData(new[] { "import", "qemu", "x.yaml" }, 2, "qemu")]
    [InlineData(new[] { "show" }, 2, "Required argument 'device' missing")]
    public void Bad_requests_get_the_documented_exit_codes(string[] args, int code, string message)
    {
        var (exit, _, error) = CliRunner.Run(args);
        Assert.Equal(code, exit);
        Assert.Contains(message, error);
    }
}
