using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Mmio.Svd;

namespace MemGate.Tests.Mmio;

public sealed class SvdReaderTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "features.svd");

    private static SvdDevice Device => SvdReader.Load(Fixture);

    private static RegisterDefinition Register(string peripheral, string name) =>
        Device.Find(peripheral)!.Registers.Single(r => r.Name == name);

    // Each peripheral's interrupt lines, as the SVD numbers them; a derived peripheral has its own, not its base's.
    [Fact]
    public void Interrupts_are_read_per_peripheral_and_not_inherited()
    {
        var device = SvdReader.Parse("""
            <device><name>D</name><peripherals>
              <peripheral><name>USART1</name><baseAddress>0x40013800</baseAddress>
                <addressBlock><offset>0</offset><size>0x400</size><usage>registers</usage></addressBlock>
                <interrupt><name>USART1</name><description>USART1 global interrupt</description><value>37</value></interrupt>
              </peripheral>
              <peripheral derivedFrom="USART1"><name>USART2</name><baseAddress>0x40004400</baseAddress>
                <interrupt><name>USART2</name><value>0x26</value></interrupt>
              </peripheral>
              <peripheral derivedFrom="USART1"><name>USART9</name><baseAddress>0x40005000</baseAddress></peripheral>
            </peripherals></device>
            """, "irq.svd");
        Assert.Equal(new SvdInterrupt("USART1", 37, "USART1 global interrupt"), Assert.Single(device.Find("USART1")!.Interrupts));
        Assert.Equal(("USART2", 38), (Assert.Single(device.Find("USART2")!.Interrupts).Name, device.Find("USART2")!.Interrupts[0].Value));
        Assert.Empty(device.Find("USART9")!.Interrupts);
        // A malformed one is left out with a warning (an error when strict): nothing runs from interrupts, the SVD still loads.
        string bad = "<device><name>D</name><peripherals><peripheral><name>P</name><baseAddress>0</baseAddress><addressBlock><offset>0</offset><size>4</size></addressBlock>" +
            "<interrupt><name>I</name><value>x</value></interrupt></peripheral></peripherals></device>";
        var tolerated = SvdReader.Parse(bad, "irq.svd");
        Assert.Empty(tolerated.Peripherals[0].Interrupts);
        Assert.Equal("peripheral[P]/interrupt[I]", Assert.Single(tolerated.Warnings).Element);
        Assert.Contains("<value> 'x' is not an interrupt number", Assert.Throws<SvdFormatException>(() => SvdReader.Parse(bad, "irq.svd", strict: true)).Message);
    }

    [Fact]
    public void Peripherals_with_derived_and_array_elements()
    {
        var device = Device;
        Assert.Equal("FIXTURE1", device.Name);
        Assert.Equal(["TIMER0", "TIMER1", "GPIO2", "GPIO3"], device.Peripherals.Select(p => p.Name));
        Assert.Equal((0x4000_0000UL, 0x400UL), (device.Find("TIMER0")!.BaseAddress, device.Find("TIMER0")!.Size));
        Assert.Equal("Timer zero", device.Find("TIMER0")!.Description);
        var timer1 = device.Find("TIMER1")!;
        Assert.Equal((0x4000_0400UL, "TIMER0"), (timer1.BaseAddress, timer1.DerivedFrom));
        Assert.Equal(device.Find("TIMER0")!.Registers.Select(r => r.Name), timer1.Registers.Select(r => r.Name));
        Assert.Equal([0x4000_1000UL, 0x4000_1100UL], device.Peripherals.Skip(2).Select(p => p.BaseAddress)); // the index names, the position counts
    }

    [Fact]
    public void Fields_in_all_three_bit_notations()
    {
        var cr = Register("TIMER0", "CR");
        Assert.Equal([("EN", 0, 1), ("MODE", 4, 2), ("PRESC", 8, 8), ("LOCK", 31, 1)], cr.Fields.Select(f => (f.Name, f.BitOffset, f.BitWidth)));
        Assert.Equal("Enabled", cr.Fields[0].Values[1]);
        Assert.Equal(FieldAccess.ReadWriteOnce, cr.Fields[3].Access);
    }

    [Fact]
    public void Register_properties_are_inherited_and_overridden()
    {
        var arr = Register("TIMER0", "ARR");
        Assert.Equal((16, 0xFFFFUL, 0x0FFFUL), (arr.SizeBits, arr.ResetValue, arr.ResetMask));
        Assert.Equal("ARR", Register("TIMER0", "ARR_ALT").AlternateOf);
        Assert.Equal(32, Register("TIMER0", "CR").SizeBits);                       // from the device
        Assert.Equal(8, Register("GPIO2", "ODR").SizeBits);                         // from the peripheral
        Assert.Equal(0xAAUL, Register("GPIO3", "IDR").ResetValue);
        Assert.Equal(FieldAccess.ReadOnly, Register("GPIO3", "IDR").Access);
        Assert.Equal(16, Register("TIMER0", "CHB.CFG").SizeBits);                   // from the cluster
    }

    [Fact]
    public void Arrays_and_clusters_are_expanded_with_their_offsets()
    {
        var registers = Device.Find("TIMER0")!.Registers;
        Assert.Equal([0x10UL, 0x14, 0x18, 0x1C], registers.Where(r => r.Name.StartsWith("CCR", StringComparison.Ordinal)).Select(r => r.Offset));
        Assert.Equal(
            [("CHA.CFG", 0x40UL), ("CHA.VAL[0]", 0x42), ("CHA.VAL[1]", 0x44), ("CHB.CFG", 0x50), ("CHB.VAL[0]", 0x52), ("CHB.VAL[1]", 0x54)],
            registers.Where(r => r.Name.StartsWith("CH", StringComparison.Ordinal)).Select(r => (r.Name, r.Offset)));
        var sr2 = Register("TIMER0", "SR2");                                        // derivedFrom a sibling register
        Assert.Equal((0x20UL, 1UL), (sr2.Offset, sr2.ResetValue));
        Assert.Equal(["READY", "UIF", "OVR"], sr2.Fields.Select(f => f.Name));
    }

    [Fact]
    public void A_block_from_svd_behaves_like_the_hardware()
    {
        var timer = Device.Find("TIMER0")!.CreateBlock();
        using var memory = GuestMemory.Create([GuestRegion.Mmio("TIMER0", 0x4000_0000, 0x400, timer)]);
        var sr = new GuestAddress(0x4000_0004);
        Assert.Equal(1U, memory.ReadUInt32(sr) & 1);                 // READY resets to 1 and is read-only
        memory.WriteUInt32(sr, 0);
        Assert.Equal(1U, memory.ReadUInt32(sr) & 1);
        timer.Poke("SR", 0b111);
        memory.WriteUInt32(sr, 0b010);                                 // UIF is write-1-to-clear
        Assert.Equal(0b101U, memory.ReadUInt32(sr));                   // OVR read once…
        Assert.Equal(0b001U, memory.ReadUInt32(sr));                   // …then cleared by the read
        Assert.Equal(0x0FFFU, memory.ReadUInt16(new GuestAddress(0x4000_0008)));   // reset value under the reset mask
        memory.WriteUInt32(new GuestAddress(0x4000_0010), 0x1234);
        Assert.Equal(0U, memory.ReadUInt32(new GuestAddress(0x4000_0010)));         // CCR0 is write-only
        Assert.Equal(0x1234UL, timer.Peek("CCR0"));
        memory.WriteUInt32(new GuestAddress(0x4000_0000), 1U << 31);
        memory.WriteUInt32(new GuestAddress(0x4000_0000), 0);                         // LOCK is write-once
        Assert.Equal(1U << 31, memory.ReadUInt32(new GuestAddress(0x4000_0000)));
        Assert.Equal(0U, memory.ReadUInt32(new GuestAddress(0x4000_0300)));          // not modelled: reads as zero
    }

    [Theory]
    [InlineData("<device><name>X</name><peripherals><peripheral>", 1, "xml")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><registers/></peripheral></peripherals></device>", 1, "peripheral[P]")]
    [InlineData("<device><name>X</name><peripherals>\n<peripheral derivedFrom=\"Q\"><name>P</name><baseAddress>0</baseAddress></peripheral></peripherals></device>", 2, "derivedFrom 'Q'")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><baseAddress>0</baseAddress><registers>\n<register><name>R</name><addressOffset>0</addressOffset><access>sometimes</access></register></registers></peripheral></peripherals></device>", 2, "access 'sometimes'")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><baseAddress>0</baseAddress><registers><register><name>R</name><addressOffset>0</addressOffset><fields>\n<field><name>F</name><bitRange>[3-1]</bitRange></field></fields></register></registers></peripheral></peripherals></device>", 2, "bitRange '[3-1]'")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><baseAddress>0</baseAddress><registers>\n<register><name>R</name><addressOffset>0</addressOffset><fields><field><name>A</name><bitOffset>0</bitOffset><bitWidth>4</bitWidth></field><field><name>B</name><bitOffset>2</bitOffset><bitWidth>2</bitWidth></field></fields></register></registers></peripheral></peripherals></device>", 2, "overlap")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><baseAddress>zero</baseAddress><registers/></peripheral></peripherals></device>", 1, "'zero' is not a number")]
    [InlineData("<device><name>X</name><peripherals><peripheral><name>P</name><baseAddress>0</baseAddress><registers>\n<register><name>R%s</name><addressOffset>0</addressOffset></register></registers></peripheral></peripherals></device>", 2, "has %s but no <dim>")]
    [InlineData("<svd/>", 1, "not <device>")]
    public void Malformed_svd_names_line_and_element(string text, int line, string message)
    {
        var e = Assert.Throws<SvdFormatException>(() => SvdReader.Parse(text, "bad.svd", strict: true));   // strict: tolerated flaws are errors too
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"bad.svd:{line}:", e.Message);
    }
}
