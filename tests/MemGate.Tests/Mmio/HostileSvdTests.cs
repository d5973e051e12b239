using System.Diagnostics;
using System.Text;
using MemGate.Mmio.Svd;

namespace MemGate.Tests.Mmio;

/// <summary>SVDs built to exhaust time or memory, or to overflow a number, fail fast with the line and element.</summary>
public sealed class HostileSvdTests
{
    private static string Svd(string registers, string peripheralExtra = "") => $"""
        <device>
          <name>HOSTILE</name>
          <peripherals>
            <peripheral>
              <name>P</name>
              <baseAddress>0x40000000</baseAddress>{peripheralExtra}
              <registers>
        {registers}
              </registers>
            </peripheral>
          </peripherals>
        </device>
        """;

    private static string Register(string extra, string fields = "") =>
        $"<register><name>R%s</name><addressOffset>0</addressOffset><size>32</size>{extra}{fields}</register>";

    private static SvdFormatException Rejects(string svd)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "hostile.svd"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.True(e.Line > 0, e.Message);
        return e;
    }

    [Fact]
    public void Two_peripherals_of_one_name_are_refused_at_the_second()
    {
        var e = Rejects("<device><name>D</name><peripherals>\n<peripheral><name>T</name><baseAddress>0x40000000</baseAddress></peripheral>\n" +
            "<peripheral><name>T</name><baseAddress>0x40001000</baseAddress></peripheral>\n</peripherals></device>");
        Assert.Equal("hostile.svd:3: <peripheral[T]>: a peripheral named 'T' is defined already, at line 2; names must be unique (case is not told apart)", e.Message);
    }

    [Fact]
    public void A_document_type_declaration_is_refused_in_the_users_terms()
    {
        var e = Rejects("<?xml version=\"1.0\"?>\n<!DOCTYPE device [<!ENTITY e \"x\">]>\n<device><name>&e;</name></device>");
        Assert.Contains("hostile.svd:2: <xml>: the file has a document type declaration (<!DOCTYPE …>)", e.Message);
        Assert.DoesNotContain("XmlReaderSettings", e.Message);   // the parser's advice to its programmer
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    public void An_empty_file_says_so_without_a_line_zero(string text)
    {
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(text, "empty.svd"));
        Assert.Equal("empty.svd: <xml>: the file is empty; an SVD file is XML with a <device> root element", e.Message);
    }

    [Theory]
    [InlineData("<dim>100000</dim><dimIncrement>4</dimIncrement>", "above 4096")]
    [InlineData("<dim>100000000</dim><dimIncrement>4</dimIncrement>", "above 4096")]
    [InlineData("<dim>4294967300</dim><dimIncrement>4</dimIncrement>", "above 4096")]
    [InlineData("<dim>4</dim><dimIncrement>4</dimIncrement><dimIndex>0-99999999</dimIndex>", "does not give 4 indices")]
    [InlineData("<dim>4</dim><dimIncrement>4</dimIncrement><dimIndex>5-2</dimIndex>", "does not give 4 indices")]
    [InlineData("<dim>4</dim><dimIncrement>0xFFFFFFFFFFFFFFFF</dimIncrement>", "overflows 64 bits")]
    public void Dim_arrays_are_checked_before_they_are_expanded(string dim, string message) =>
        Assert.Contains(message, Rejects(Svd(Register(dim))).Message);

    [Theory]
    [InlineData("<bitOffset>4294967296</bitOffset><bitWidth>1</bitWidth>")]
    [InlineData("<bitOffset>4294967295</bitOffset><bitWidth>4294967297</bitWidth>")]
    [InlineData("<lsb>4294967296</lsb><msb>4294967297</msb>")]
    public void Bit_positions_are_checked_in_their_full_width(string bits)
    {
        string svd = Svd("<register><name>R</name><addressOffset>0</addressOffset><size>32</size>"
            + $"<fields><field><name>F</name>{bits}</field></fields></register>");
        Assert.Contains("is above", Rejects(svd).Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_building_the_tree()
    {
        string clusters = string.Concat(Enumerable.Repeat("<cluster><name>C</name><addressOffset>0</addressOffset>", 12_000));
        Assert.Contains("nested deeper", Rejects(Svd(clusters + string.Concat(Enumerable.Repeat("</cluster>", 12_000)))).Message);
        string description = $"<description>{string.Concat(Enumerable.Repeat("<b>", 100_000))}{string.Concat(Enumerable.Repeat("</b>", 100_000))}</description>";
        Assert.Contains("nested deeper", Rejects(Svd(Register(""), description)).Message);
    }

    [Fact]
    public void Nested_dim_clusters_are_capped_in_total()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            text.Append($"<cluster><name>C{i}%s</name><dim>4096</dim><dimIncrement>0x10</dimIncrement><addressOffset>0</addressOffset>");
        }
        text.Append("<register><name>R</name><addressOffset>0</addressOffset></register>");
        text.Append(string.Concat(Enumerable.Repeat("</cluster>", 3)));
        Assert.Contains("expands to more than", Rejects(Svd(text.ToString())).Message);
        Assert.Contains("expands to more than", Rejects(Svd(string.Concat(Enumerable.Range(0, 200).Select(i => $"<register><name>R{i}_%s</name><dim>4096</dim><dimIncrement>4</dimIncrement><addressOffset>0</addressOffset></register>")))).Message);
    }

    [Fact]
    public void Errors_inside_derived_elements_name_a_line()
    {
        string svd = Svd("<register><name>A</name><addressOffset>0</addressOffset></register>"
            + "<register derivedFrom=\"A\"><name>B</name><addressOffset>zz</addressOffset></register>");
        var e = Rejects(svd);
        Assert.Contains("'zz' is not a number", e.Message);
    }

    [Fact]
    public void Chained_derivedFrom_keeps_what_the_middle_element_inherited()
    {
        string svd = """
            <device><name>CHAIN</name><peripherals>
              <peripheral><name>A</name><baseAddress>0x40000000</baseAddress>
                <registers><register><name>CR</name><addressOffset>0</addressOffset></register></registers></peripheral>
              <peripheral derivedFrom="A"><name>B</name><baseAddress>0x40001000</baseAddress></peripheral>
              <peripheral derivedFrom="B"><name>C</name><baseAddress>0x40002000</baseAddress></peripheral>
            </peripherals></device>
            """;
        var device = SvdReader.Parse(svd);
        Assert.Equal(["CR"], device.Find("C")!.Registers.Select(r => r.Name));
        Assert.Equal(0x4000_2000UL, device.Find("C")!.BaseAddress);
        string cycle = svd.Replace("<peripheral><name>A</name>", "<peripheral derivedFrom=\"C\"><name>A</name>", StringComparison.Ordinal);
        Assert.Contains("derived from itself", Rejects(cycle).Message);
    }

    // Vendor files as they ship (XMC4800, Allwinner D1-H: 0b values with don't-care bits; "read-writeonce").
    [Fact]
    public void Binary_enumerated_values_and_lower_case_access_tokens_are_read()
    {
        const string fields = """
            <fields><field><name>MODE</name><bitOffset>0</bitOffset><bitWidth>3</bitWidth><access>read-writeonce</access>
              <enumeratedValues>
                <enumeratedValue><name>Off</name><value>0b000</value></enumeratedValue>
                <enumeratedValue><name>Fast</name><value>0b101</value></enumeratedValue>
                <enumeratedValue><name>AnyOdd</name><value>0b1x1</value></enumeratedValue>
              </enumeratedValues></field></fields>
            """;
        var device = SvdReader.Parse(Svd(Register("", fields).Replace("R%s", "CTRL", StringComparison.Ordinal)), "vendor.svd");
        var field = Assert.Single(device.Peripherals[0].Registers[0].Fields);
        Assert.Equal(MemGate.Mmio.FieldAccess.ReadWriteOnce, field.Access);
        Assert.Equal("Fast", field.Values[5]);
        Assert.Equal(2, field.Values.Count);   // the don't-care pattern names no single value
    }

    // Overlapping fields ship in vendor files (Espressif, ST, SiFive, NXP): a warning with the line, the first
    // field kept; --strict keeps them an error.
    [Fact]
    public void Overlapping_fields_are_a_warning_unless_strict()
    {
        const string fields = """
            <fields>
              <field><name>LOW</name><bitOffset>0</bitOffset><bitWidth>4</bitWidth></field>
              <field><name>WIDE</name><bitOffset>2</bitOffset><bitWidth>4</bitWidth></field>
            </fields>
            """;
        string svd = Svd(Register("", fields).Replace("R%s", "CTRL", StringComparison.Ordinal));
        var device = SvdReader.Parse(svd, "vendor.svd");
        Assert.Equal(["LOW"], device.Peripherals[0].Registers[0].Fields.Select(f => f.Name));
        var warning = Assert.Single(device.Warnings);
        Assert.Matches(@"^vendor\.svd:\d+: warning: .*'LOW' and 'WIDE' overlap", warning.ToString());
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "vendor.svd", strict: true));
        Assert.Contains("overlap", e.Message);
    }

    // Names rules could not tell apart, and a register outside its peripheral's address block: warnings with the
    // line (rules act on each of a name; the block is taken to reach the register), errors when strict.
    [Theory]
    [InlineData("<register><name>A</name><addressOffset>0</addressOffset><size>32</size></register><register><name>A</name><addressOffset>4</addressOffset><size>32</size></register>",
        "", "register name 'A' is given 2 times (at offsets 0x0, 0x4); a rule naming it acts on each")]
    [InlineData("<register><name>A</name><addressOffset>0</addressOffset><size>32</size><fields><field><name>F</name><bitOffset>0</bitOffset><bitWidth>1</bitWidth></field>" +
        "<field><name>f</name><bitOffset>4</bitOffset><bitWidth>1</bitWidth></field></fields></register>",
        "", "field name 'F' is given 2 times (at bits 0, 4); a rule naming it acts on each")]
    [InlineData("<register><name>FAR</name><addressOffset>0x20</addressOffset><size>32</size></register>",
        "<addressBlock><offset>0</offset><size>0x10</size><usage>registers</usage></addressBlock>",
        "register 'FAR' (offset 0x20, 4 bytes) reaches past the address block, which ends at offset 0x10; the block is taken to reach it")]
    public void Ambiguous_names_and_registers_past_the_block_are_warnings_unless_strict(string registers, string block, string message)
    {
        string svd = Svd(registers, block);
        var device = SvdReader.Parse(svd, "vendor.svd");
        var warning = Assert.Single(device.Warnings);
        Assert.Equal($"{message} (an error with --strict)", warning.Message);
        Assert.StartsWith("peripheral[P]", warning.Element, StringComparison.Ordinal);   // or the register whose fields they are
        Assert.True(warning.Line > 0);
        Assert.True(device.Peripherals[0].Size >= 0x24 || !message.Contains("FAR", StringComparison.Ordinal));
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "vendor.svd", strict: true));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_register_or_field_without_a_name_is_named_by_its_element()
    {
        var register = Rejects(Svd("<register><addressOffset>0</addressOffset></register>"));
        Assert.Contains("<peripheral[P]/register>: has no <name>", register.Message);
        var field = Rejects(Svd("<register><name>A</name><addressOffset>0</addressOffset><size>32</size><fields><field><bitOffset>0</bitOffset><bitWidth>1</bitWidth></field></fields></register>"));
        Assert.Contains("<peripheral[P]/register[A]/field>: has no <name>", field.Message);
    }

    // Two more flaws vendor files ship: a 1-bit register size and the access token "write".
    [Fact]
    public void Odd_register_sizes_and_the_write_token_are_warnings_unless_strict()
    {
        string svd = Svd("<register><name>FLAG</name><addressOffset>0</addressOffset><size>1</size><access>write</access></register>");
        var device = SvdReader.Parse(svd, "vendor.svd");
        var register = Assert.Single(device.Peripherals[0].Registers);
        Assert.Equal((8, MemGate.Mmio.FieldAccess.WriteOnly), (register.SizeBits, register.Access));
        Assert.Equal(2, device.Warnings.Count);
        Assert.All(device.Warnings, w => Assert.StartsWith("vendor.svd:", w.ToString()));
        Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "vendor.svd", strict: true));
    }

    // Inside one peripheral too: every broken register is named at its line, and nothing that only follows from them.
    [Fact]
    public void Every_broken_register_of_a_peripheral_is_reported()
    {
        const string svd = """
            <device>
              <name>BROKEN</name>
              <peripherals>
                <peripheral><name>P</name><baseAddress>0x40000000</baseAddress><registers>
                  <register><name>A</name><addressOffset>0</addressOffset><access>sometimes</access></register>
                  <register><name>B</name><addressOffset>4</addressOffset></register>
                  <register><name>C%s</name><addressOffset>8</addressOffset></register>
                </registers></peripheral>
              </peripherals>
            </device>
            """;
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "broken.svd"));
        Assert.Equal([(5, "peripheral[P]/register[A]"), (7, "peripheral[P]/register[C%s]")], e.Problems.Select(p => (p.Line, p.Element)));
        Assert.Contains("1 more problem(s) below", e.Message);
    }

    // One run names every broken peripheral, each with its line, not only the first.
    [Fact]
    public void Every_broken_peripheral_is_reported()
    {
        const string svd = """
            <device>
              <name>BROKEN</name>
              <peripherals>
                <peripheral><name>A</name><baseAddress>zero</baseAddress><registers/></peripheral>
                <peripheral><name>OK</name><baseAddress>0x40001000</baseAddress>
                  <registers><register><name>R</name><addressOffset>0</addressOffset></register></registers></peripheral>
                <peripheral><name>B</name><baseAddress>0x40002000</baseAddress>
                  <registers><register><name>R</name><addressOffset>0</addressOffset><access>sometimes</access></register></registers></peripheral>
              </peripherals>
            </device>
            """;
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(svd, "broken.svd"));
        Assert.Equal(4, e.Line);   // the first problem locates the exception
        var lines = e.Message.Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("broken.svd:4: <peripheral[A]/baseAddress>", lines[0], StringComparison.Ordinal);
        Assert.Contains("1 more problem(s)", lines[0]);
        Assert.StartsWith("broken.svd:8: <peripheral[B]/register[R]>", lines[1], StringComparison.Ordinal);
        Assert.Contains("access 'sometimes'", lines[1]);
        // The same problems one by one, for tools that list them (validate, --json).
        Assert.Equal([(4, "peripheral[A]/baseAddress"), (8, "peripheral[B]/register[R]")], e.Problems.Select(p => (p.Line, p.Element)));
        Assert.All(e.Problems, p => Assert.DoesNotContain("\n", p.Detail));
    }
}
