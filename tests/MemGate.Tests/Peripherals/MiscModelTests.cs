using MemGate.Devices;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Peripherals;
using MemGate.Peripherals.Misc;

namespace MemGate.Tests.Peripherals;

/// <summary>The PrimeCell RTC and GPIO and the Goldfish RTC of the virt templates, against their manuals (DDI 0224, DDI 0190, QEMU goldfish_rtc).</summary>
public sealed class MiscModelTests
{
    private static (PeripheralSet Set, List<(int Line, bool Level)> Lines) Build(string template)
    {
        var device = DeviceTemplates.Load(template);
        var lines = new List<(int, bool)>();
        var context = new PeripheralContext(device, TextWriter.Null);
        var set = PeripheralRegistry.Default.Build(device, context, "gicv2");
        var controller = context.InterruptController!;
        context.InterruptController = new Recorder(controller, lines);
        set.Reset();
        return (set, lines);
    }

    private static IMmioHandler Registers(PeripheralSet set, string name) => set.Find(name)!.Blocks[0].Handler;

    [Fact]
    public void Pl031_counts_seconds_from_lr_and_raises_the_match_interrupt_through_imsc()
    {
        var (set, lines) = Build("CortexA53");
        var rtc = (Pl031Rtc)set.Find("RTC")!;
        var r = Registers(set, "RTC");
        Assert.Equal(0x31UL, r.Read(0xFE0, 4));            // PeriphID0
        Assert.Equal(1UL, r.Read(0x0C, 4));                 // CR: started
        r.Write(0x08, 4, 1000);                             // LR
        Assert.Equal(1000UL, r.Read(0x00, 4));
        r.Write(0x04, 4, 1002);                             // MR two seconds ahead
        r.Write(0x10, 4, 1);                                // IMSC
        Assert.Equal(200_000_000UL, rtc.TicksToEvent);      // at the default 100 M instructions per second
        rtc.Advance(199_999_999);
        Assert.Equal(0UL, r.Read(0x14, 4));
        rtc.Advance(1);
        Assert.Equal((1002UL, 1UL, 1UL), (r.Read(0x00, 4), r.Read(0x14, 4), r.Read(0x18, 4)));
        Assert.Equal((34, true), lines[^1]);                // INTID 34 on the template
        r.Write(0x1C, 4, 1);                                // ICR
        Assert.Equal((34, false), lines[^1]);
    }

    [Fact]
    public void Pl061_reads_and_writes_data_through_the_address_mask_and_shows_pins_to_the_host()
    {
        var (set, lines) = Build("CortexA53");
        var gpio = (Pl061Gpio)set.Find("GPIO")!;
        var r = Registers(set, "GPIO");
        r.Write(0x400, 1, 0x0F);                            // pins 0-3 outputs
        r.Write(0x3FC, 1, 0xFF);                            // all mask bits: drives the outputs high
        Assert.Equal((0x0FUL, 0x0FUL), (gpio.Levels, gpio.Outputs));
        r.Write(0x004, 1, 0x00);                            // mask = bit 0 only: pin 0 low, others kept
        Assert.Equal(0x0EUL, gpio.Levels);
        Assert.Equal(0x02UL, r.Read(0x008, 1));             // mask = bit 1: reads pin 1 only
        r.Write(0x410, 1, 0x10);                            // IE on pin 4 (input), rising edge (IEV)
        r.Write(0x40C, 1, 0x10);
        gpio.SetInput(4, true);
        // RIS also holds pin 0's falling edge from before (IEV 0 there: falling); MIS shows only what IE lets through.
        Assert.Equal((0x11UL, 0x10UL), (r.Read(0x414, 1), r.Read(0x418, 1)));
        Assert.Equal((39, true), lines[^1]);
        r.Write(0x41C, 1, 0x10);                            // IC
        Assert.Equal((39, false), lines[^1]);
        Assert.Equal(0x61UL, r.Read(0xFE0, 4));
    }

    [Fact]
    public void Goldfish_rtc_latches_the_high_half_and_raises_its_alarm()
    {
        var device = DeviceTemplates.Load("RV32");
        var set = PeripheralRegistry.Default.Build(device, new PeripheralContext(device, TextWriter.Null), "riscv-clint");
        set.Reset();
        var rtc = (GoldfishRtc)set.Find("RTC")!;
        var r = Registers(set, "RTC");
        rtc.Advance(150_000_000);                            // 1.5 s at 100 M instructions per second
        ulong low = r.Read(0x00, 4);
        Assert.Equal(1_500_000_000UL, (r.Read(0x04, 4) << 32) | low);
        r.Write(0x0C, 4, 0);                                // ALARM_HIGH
        r.Write(0x08, 4, 2_000_000_000);                    // ALARM_LOW arms it
        r.Write(0x10, 4, 1);                                // IRQ_ENABLED
        Assert.Equal(1UL, r.Read(0x18, 4));                 // ALARM_STATUS: running
        Assert.Equal(50_000_001UL, rtc.TicksToEvent);
        rtc.Advance(rtc.TicksToEvent);
        Assert.Equal(0UL, r.Read(0x18, 4));                 // fired
    }

    private sealed class Recorder(IInterruptController inner, List<(int, bool)> lines) : IInterruptController
    {
        public int LineCount => inner.LineCount;

        public int FirstLine => inner.FirstLine;

        public void SetLevel(int line, bool asserted)
        {
            lines.Add((line, asserted));
            inner.SetLevel(line, asserted);
        }
    }
}
