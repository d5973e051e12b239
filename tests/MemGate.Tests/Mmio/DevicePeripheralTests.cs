using MemGate.Cli;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Mmio;

/// <summary>A device file that names an SVD gets working register blocks, rules and traces.</summary>
public sealed class DevicePeripheralTests
{
    private static readonly string Board = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "board.toml");

    private static DeviceMemory Allocate(MmioTrace? trace = null) =>
        DeviceMemory.Allocate(DeviceConfigReader.Load(Board), new DeviceMemoryOptions { BaseDirectory = Path.GetDirectoryName(Board), Trace = trace });

    [Fact]
    public void Svd_peripherals_are_attached_where_the_map_puts_them()
    {
        using var device = Allocate();
        Assert.Equal(["GPIO2", "GPIO3", "TIMER0", "TIMER1"], device.Peripherals.Keys.Order());
        Assert.Empty(device.Warnings);
        var memory = device.Main;
        memory.WriteByte(new GuestAddress(0x4000_1000), 0x55);               // GPIO2.ODR
        Assert.Equal(0x55UL, device.Peripherals["GPIO2"].Peek("ODR"));
        Assert.Equal(0xAA, memory.ReadByte(new GuestAddress(0x4000_1101)));  // GPIO3.IDR reset value
    }

    [Fact]
    public void A_ready_bit_follows_its_enable_bit_and_polling_terminates()
    {
        using var device = Allocate();
        var memory = device.Main;
        var cr = new GuestAddress(0x4000_0000);
        var sr = new GuestAddress(0x4000_0004);
        Assert.Equal(0U, memory.ReadUInt32(sr) & 1);                         // disabled: not ready (despite reset value 1)
        memory.WriteUInt32(cr, memory.ReadUInt32(cr) | 1);                   // read-modify-write: set EN
        int polls = 0;
        while ((memory.ReadUInt32(sr) & 1) == 0 && polls < 1000)             // firmware's "while (!(SR & READY));"
        {
            polls++;
        }
        Assert.Equal(0, polls);
        Assert.Equal(0U, memory.ReadUInt32(new GuestAddress(0x4000_0404)) & 1); // TIMER1.SR.READY reads as clear by rule
    }

    [Fact]
    public void W1c_flags_through_the_device_and_unmodelled_gaps_fault()
    {
        using var device = Allocate();
        var memory = device.Main;
        device.Peripherals["TIMER1"].Poke("SR", 0b110);
        memory.WriteUInt32(new GuestAddress(0x4000_0404), 0b010);            // clear UIF only
        Assert.Equal(0b100UL, device.Peripherals["TIMER1"].Peek("SR"));
        var e = Assert.Throws<GuestMemoryException>(() => memory.ReadUInt32(new GuestAddress(0x4000_1800)));
        Assert.Equal(GuestFault.NoRegister, e.Fault);
        Assert.Contains("no peripheral is modelled there in region 'APB'", e.Message);
    }

    // A word read in a gap under the "record" policy is recorded once, with its size, as the CPU made it.
    [Fact]
    public void Recorded_unmodelled_accesses_keep_their_size()
    {
        var device = DeviceConfigReader.Parse(File.ReadAllText(Board).Replace("unmodelled = \"fault\"", "unmodelled = \"record\""), DeviceConfigFormat.Toml, Board);
        Assert.Equal(UnmodelledPolicy.Record, device.Unmodelled);
        using var memory = DeviceMemory.Allocate(device, new DeviceMemoryOptions { BaseDirectory = Path.GetDirectoryName(Board) });
        Assert.Equal(0U, memory.Main.ReadUInt32(new GuestAddress(0x4000_1800)));
        memory.Main.WriteUInt16(new GuestAddress(0x4000_1804), 0xBEEF);
        var bus = Assert.IsType<PeripheralBus>(memory.Main.FindRegion(new GuestAddress(0x4000_1800))!.Handler);
        Assert.Equal([new UnmodelledAccess(0x1800, 4, false, 0), new UnmodelledAccess(0x1804, 2, true, 0xBEEF)], bus.Unmodelled);
    }

    [Fact]
    public void The_trace_names_peripheral_and_register_in_json_lines()
    {
        var stream = new MemoryStream();
        using (var trace = new MmioTrace(stream) { ProgramCounter = () => 0x0800_0100 })
        using (var device = Allocate(trace))
        {
            device.Main.WriteUInt32(new GuestAddress(0x4000_0000), 1);
            device.Main.ReadUInt32(new GuestAddress(0x4000_0004));
            Assert.Equal(2, trace.Count);
        }
        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var write = JsonDocument.Parse(lines[0]);
        var w = write.RootElement;
        Assert.Equal((1L, 0x0800_0100UL, 0x4000_0000UL, 4, 1UL, "write", "APB", "TIMER0", "CR"),
            (w.GetProperty("seq").GetInt64(), w.GetProperty("pc").GetUInt64(), w.GetProperty("address").GetUInt64(), w.GetProperty("size").GetInt32(),
             w.GetProperty("value").GetUInt64(), w.GetProperty("access").GetString(), w.GetProperty("region").GetString(),
             w.GetProperty("peripheral").GetString(), w.GetProperty("register").GetString()));
        Assert.Equal(("0x08000100", "0x40000000"), (w.GetProperty("pcHex").GetString(), w.GetProperty("addressHex").GetString()));   // hex beside the numbers
        using var read = JsonDocument.Parse(lines[1]);
        Assert.Equal(("read", "SR", 1UL), (read.RootElement.GetProperty("access").GetString(), read.RootElement.GetProperty("register").GetString(),
            read.RootElement.GetProperty("value").GetUInt64() & 1));
    }

    // Two rules for one field (in any case): which acts would depend on their order; the second is the error, at its field.
    [Fact]
    public void A_second_rule_for_a_field_is_an_error_for_a_run_and_validate()
    {
        string text = File.ReadAllText(Board) + "\n[[rules]]\nregister = \"timer0.sr\"\nfield = \"ready\"\nreads = \"set\"\n";
        var device = DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, Board);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceMemory.Allocate(device, Path.GetDirectoryName(Board)));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal($"rules[{device.Rules.Count - 1}].field", problem.Field);
        Assert.Equal("rule 'timer0.sr.ready': rules[0] is a rule for this field already; a field takes one rule", problem.Message);
        Assert.Equal(problem.Message, Assert.Single(DeviceMemory.CheckRules(device, MemGate.Mmio.Svd.SvdReader.Load(Path.Combine(Path.GetDirectoryName(Board)!, "features.svd")))).Message);
    }

    [Fact]
    public void Rules_must_name_real_registers_and_fields()
    {
        string text = File.ReadAllText(Board).Replace("follows = \"TIMER0.CR.EN\"", "follows = \"TIMER0.CR.NOPE\"", StringComparison.Ordinal);
        var device = DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, Board);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceMemory.Allocate(device, Path.GetDirectoryName(Board)));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal(("rules[0].follows", 29), (problem.Field, problem.Location?.Line));
        Assert.Equal("rule 'TIMER0.SR.READY' follows 'TIMER0.CR.NOPE': register 'TIMER0.CR' has no field 'NOPE' (fields: EN, MODE, PRESC, LOCK)", problem.Message);

        // validate finds them too (every rule's, each at its line), without building the device.
        string folder = Directory.CreateTempSubdirectory("memgate-rules").FullName;
        File.Copy(Path.Combine(Path.GetDirectoryName(Board)!, "features.svd"), Path.Combine(folder, "features.svd"));
        string copy = Path.Combine(folder, "board.toml");
        File.WriteAllText(copy, text.Replace("register = \"TIMER1.SR\"", "register = \"TIMER9.SR\"", StringComparison.Ordinal));
        var (exit, _, error) = MemGate.Tests.Cli.CliRunner.Run("validate", copy);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains($"{copy}:29:", error);
        Assert.Contains($"{copy}:32:", error);
        Assert.Contains("rule 'TIMER9.SR.READY': the SVD has no peripheral 'TIMER9'", error);
        // show refuses the same device (it showed it as if it could run).
        (exit, _, error) = MemGate.Tests.Cli.CliRunner.Run("show", copy);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains($"{copy}:32:", error);
        Assert.Equal(0, MemGate.Tests.Cli.CliRunner.Run("show", Board).Exit);   // the board as it is shows
        Directory.Delete(folder, recursive: true);

        var bad = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(
            File.ReadAllText(Board).Replace("reads = \"clear\"", "reads = \"maybe\"", StringComparison.Ordinal), DeviceConfigFormat.Toml, "b.toml"));
        Assert.Equal("rules[1].reads", Assert.Single(bad.Diagnostics, d => d.Severity == DiagnosticSeverity.Error).Field);
    }

    // Runs find a rule's register and field ignoring case: the checks (a run's, validate's) accept what a run applies.
    [Fact]
    public void A_rule_naming_fields_in_another_case_is_accepted_and_applied()
    {
        string folder = Directory.CreateTempSubdirectory("memgate-rule-case").FullName;
        try
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(Board)!, "features.svd"), Path.Combine(folder, "features.svd"));
            string copy = Path.Combine(folder, "board.toml");
            File.WriteAllText(copy, File.ReadAllText(Board).Replace("field = \"READY\"\nfollows = \"TIMER0.CR.EN\"", "field = \"ready\"\nfollows = \"TIMER0.cr.en\"", StringComparison.Ordinal));
            Assert.Contains("follows = \"TIMER0.cr.en\"", File.ReadAllText(copy));
            // And the followed field is found at read time too (it threw "Sequence contains no matching element", a guest fault).
            using (var device = DeviceMemory.Allocate(DeviceConfigReader.Load(copy), folder))
            {
                var sr = new GuestAddress(0x4000_0004);
                Assert.Equal(0U, device.Main.ReadUInt32(sr) & 1);
                device.Main.WriteUInt32(new GuestAddress(0x4000_0000), 1);   // CR.EN
                Assert.Equal(1U, device.Main.ReadUInt32(sr) & 1);
            }
            var (exit, output, error) = MemGate.Tests.Cli.CliRunner.Run("validate", copy);
            Assert.True(exit == 0, error);
            Assert.Contains($"{copy}: valid", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_rule_naming_a_missing_field_is_located_at_its_field_key()
    {
        string text = File.ReadAllText(Board).Replace("field = \"READY\"\nfollows", "field = \"REDY\"\nfollows", StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceMemory.Allocate(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, Board), Path.GetDirectoryName(Board)));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal(("rules[0].field", 28), (problem.Field, problem.Location?.Line));
        Assert.Contains("register 'TIMER0.SR' has no field 'REDY'", problem.Message);
    }

    [Fact]
    public void Svd_peripherals_outside_every_region_are_reported_not_attached()
    {
        string text = File.ReadAllText(Board).Replace("size = \"8KB\"\npermissions = \"rw\"\ntype = \"mmio\"", "size = \"4KB\"\npermissions = \"rw\"\ntype = \"mmio\"", StringComparison.Ordinal);
        using var device = DeviceMemory.Allocate(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, Board), Path.GetDirectoryName(Board));
        Assert.Equal(2, device.Warnings.Count);
        Assert.Contains(device.Warnings, w => w.Contains("peripheral[GPIO2]: [0x40001000", StringComparison.Ordinal));
    }

    [Fact]
    public void Svd_registers_that_overlap_are_an_error_at_their_peripheral_line_for_validate_show_and_a_run()
    {
        // A dim array with dimIncrement 0 puts four registers at one offset; nothing marks them as alternates.
        const string Svd = """
            <?xml version="1.0" encoding="utf-8"?>
            <device schemaVersion="1.3">
              <name>Overlaps</name>
              <width>32</width>
              <size>32</size>
              <peripherals>
                <peripheral>
                  <name>TIM9</name>
                  <baseAddress>0x40000000</baseAddress>
                  <addressBlock><offset>0</offset><size>0x400</size><usage>registers</usage></addressBlock>
                  <registers>
                    <register><dim>4</dim><dimIncrement>0</dimIncrement><name>CCR%s</name><addressOffset>0x34</addressOffset></register>
                  </registers>
                </peripheral>
              </peripherals>
            </device>
            """;
        string folder = Directory.CreateTempSubdirectory("memgate-svd-overlap").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "overlaps.svd"), Svd);
            string device = Path.Combine(folder, "board.toml");
            // The board without its rules (they name features.svd's registers).
            string text = File.ReadAllText(Board).Replace("features.svd", "overlaps.svd", StringComparison.Ordinal);
            File.WriteAllText(device, text[..text.IndexOf("[[rules]]", StringComparison.Ordinal)]);
            string expected = $"{Path.Combine(folder, "overlaps.svd")}:7: <peripheral[TIM9]>: Peripheral 'TIM9': register 'CCR1' at offset 0x34 overlaps 'CCR0' at 0x34";

            var e = Assert.Throws<MemGate.Mmio.Svd.SvdFormatException>(() => DeviceMemory.Allocate(DeviceConfigReader.Load(device), folder));
            Assert.True(e.Message.StartsWith(expected, StringComparison.Ordinal), e.Message);
            foreach (string command in new[] { "validate", "show" })
            {
                var (exit, _, error) = MemGate.Tests.Cli.CliRunner.Run(command, device);
                Assert.Equal(CliApp.InvalidInput, exit);
                Assert.Contains($"{Path.Combine(folder, "overlaps.svd")}:7: error: peripheral[TIM9]: Peripheral 'TIM9': register 'CCR1' at offset 0x34 overlaps 'CCR0' at 0x34", error);
            }
            // For a program: the SVD file, its line and the element, as its own row.
            var (_, json, _) = MemGate.Tests.Cli.CliRunner.Run("validate", device, "--json");
            var row = Assert.Single(System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("errors").EnumerateArray());
            Assert.Equal((Path.Combine(folder, "overlaps.svd"), 7, "peripheral[TIM9]"),
                (row.GetProperty("file").GetString(), row.GetProperty("line").GetInt32(), row.GetProperty("field").GetString()));
            // The SVD alone still lists, and says what a device that attaches TIM9 will meet; --strict refuses it.
            string svdFile = Path.Combine(folder, "overlaps.svd");
            var listed = MemGate.Tests.Cli.CliRunner.Run("svd", svdFile);
            Assert.Equal(0, listed.Exit);
            Assert.Contains("TIM9", listed.Out);
            Assert.Contains($"{svdFile}:7: warning: peripheral[TIM9]: Peripheral 'TIM9': register 'CCR1' at offset 0x34 overlaps 'CCR0' at 0x34", listed.Err);
            Assert.Contains("a device that attaches it cannot be built", listed.Err);
            var strict = MemGate.Tests.Cli.CliRunner.Run("svd", svdFile, "--strict");
            Assert.Equal(CliApp.InvalidInput, strict.Exit);
            Assert.Contains($"{svdFile}:7: error: peripheral[TIM9]:", strict.Err);
            // And with --json, that refusal is the JSON failure line, located.
            var strictJson = MemGate.Tests.Cli.CliRunner.Run("svd", svdFile, "--strict", "--json");
            Assert.Equal((CliApp.InvalidInput, ""), (strictJson.Exit, strictJson.Out));
            var failure = Assert.Single(System.Text.Json.JsonDocument.Parse(strictJson.Err).RootElement.GetProperty("errors").EnumerateArray());
            Assert.Equal((svdFile, 7, "peripheral[TIM9]"), (failure.GetProperty("file").GetString(), failure.GetProperty("line").GetInt32(), failure.GetProperty("field").GetString()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Two_svd_peripherals_of_one_name_are_refused_alike_by_a_run_validate_and_show()
    {
        // Names differing in case only: rules find peripherals ignoring case, so a run silently kept the last, and validate
        // stopped with a .NET error.
        const string Svd = """
            <device><name>Twins</name><width>32</width><size>32</size><peripherals>
              <peripheral><name>TIMER0</name><baseAddress>0x40000000</baseAddress>
                <registers><register><name>SR</name><addressOffset>0</addressOffset><fields><field><name>READY</name><bitOffset>0</bitOffset><bitWidth>1</bitWidth></field></fields></register></registers></peripheral>
              <peripheral><name>timer0</name><baseAddress>0x40000400</baseAddress>
                <registers><register><name>SR</name><addressOffset>0</addressOffset><fields><field><name>READY</name><bitOffset>0</bitOffset><bitWidth>1</bitWidth></field></fields></register></registers></peripheral>
            </peripherals></device>
            """;
        string folder = Directory.CreateTempSubdirectory("memgate-svd-twins").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "twins.svd"), Svd);
            string device = Path.Combine(folder, "board.toml");
            string text = File.ReadAllText(Board).Replace("features.svd", "twins.svd", StringComparison.Ordinal);
            File.WriteAllText(device, text[..text.IndexOf("[[rules]]", StringComparison.Ordinal)] + "[[rules]]\nregister = \"TIMER0.SR\"\nfield = \"READY\"\nreads = \"set\"\n");
            string svd = Path.Combine(folder, "twins.svd");
            const string Problem = "a peripheral named 'TIMER0' is defined already, at line 2";
            Assert.StartsWith($"{svd}:4: <peripheral[timer0]>: {Problem}", Assert.Throws<MemGate.Mmio.Svd.SvdFormatException>(() => DeviceMemory.Allocate(DeviceConfigReader.Load(device), folder)).Message, StringComparison.Ordinal);
            foreach (string command in new[] { "validate", "show", "run" })
            {
                var (exit, _, error) = MemGate.Tests.Cli.CliRunner.Run(command == "run" ? [command, Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"), "--device", device] : [command, device]);
                Assert.Equal(CliApp.InvalidInput, exit);
                Assert.Contains($"{svd}:4: error: peripheral[timer0]: {Problem}", error);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_rule_on_an_svd_peripheral_outside_every_region_is_an_error_for_validate_as_for_a_run()
    {
        // 1 KiB of APB holds TIMER0 only: TIMER1 (0x40000400), which rules[1] names, is not attached.
        string text = File.ReadAllText(Board).Replace("size = \"8KB\"\npermissions = \"rw\"\ntype = \"mmio\"", "size = \"1KB\"\npermissions = \"rw\"\ntype = \"mmio\"", StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceMemory.Allocate(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, Board), Path.GetDirectoryName(Board)));
        Assert.Equal("rule 'TIMER1.SR.READY': the SVD has no attached peripheral 'TIMER1'", Assert.Single(e.Diagnostics).Message);

        string folder = Directory.CreateTempSubdirectory("memgate-rules").FullName;
        try
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(Board)!, "features.svd"), Path.Combine(folder, "features.svd"));
            string copy = Path.Combine(folder, "board.toml");
            File.WriteAllText(copy, text);
            var (exit, _, error) = MemGate.Tests.Cli.CliRunner.Run("validate", copy);
            Assert.Equal(CliApp.InvalidInput, exit);
            Assert.Contains($"{copy}:32:12: error: rules[1].register: rule 'TIMER1.SR.READY': SVD peripheral 'TIMER1' [0x40000400, size 0x", error);
            Assert.Contains("is not inside any peripheral (mmio) region, so it is not attached", error);
            Assert.DoesNotContain(":29:", error);   // TIMER0's rule is fine
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
