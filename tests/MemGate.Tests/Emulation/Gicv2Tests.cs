using MemGate.Emulation;
using MemGate.Peripherals.Arm;

namespace MemGate.Tests.Emulation;

/// <summary>The GICv2 model without a CPU: what QEMU virt's GIC does for the same register accesses.</summary>
public sealed class Gicv2Tests
{
    private static Gicv2 Enabled()
    {
        var gic = new Gicv2();
        gic.Distributor.Write(0x000, 4, 1);      // GICD_CTLR.EnableGrp0
        gic.CpuInterface.Write(0x00, 4, 1);      // GICC_CTLR.EnableGrp0
        gic.CpuInterface.Write(0x04, 4, 0xF0);   // GICC_PMR
        return gic;
    }

    [Fact]
    public void A_level_ppi_is_pending_while_its_line_is_high_and_comes_back_after_eoi()
    {
        var gic = Enabled();
        gic.Distributor.Write(0x100, 4, 1u << 30);
        gic.SetLevel(30, true);
        Assert.Equal(GicSignal.Irq, gic.Signal);
        Assert.Equal(30UL, gic.CpuInterface.Read(0x0C, 4));       // IAR
        Assert.Equal(GicSignal.None, gic.Signal);                  // active: not signalled again
        Assert.Equal(0UL, gic.CpuInterface.Read(0x14, 4));        // RPR: its priority
        gic.CpuInterface.Write(0x10, 4, 30);                        // EOIR
        Assert.Equal(0xFFUL, gic.CpuInterface.Read(0x14, 4));
        Assert.Equal(GicSignal.Irq, gic.Signal);                   // the line is still high
        gic.SetLevel(30, false);
        Assert.Equal(GicSignal.None, gic.Signal);
        Assert.Equal(1023UL, gic.CpuInterface.Read(0x0C, 4));
    }

    [Fact]
    public void Priority_mask_preemption_and_fiq_follow_the_gicv2_rules()
    {
        var gic = Enabled();
        gic.Distributor.Write(0x104, 4, 0b1110_0000_0000);   // enable 41, 42, 43
        gic.Distributor.Write(0x428, 4, 0x2040_A000);        // 41: 0xA0, 42: 0x40, 43: 0x20
        gic.Distributor.Write(0x204, 4, 1u << 9);             // pend 41
        Assert.Equal(41UL, gic.CpuInterface.Read(0x0C, 4));
        gic.Distributor.Write(0x204, 4, 1u << 10);            // 42 preempts 41
        Assert.Equal(42UL, gic.CpuInterface.Read(0x18, 4));  // HPPIR
        Assert.Equal(GicSignal.Irq, gic.Signal);
        gic.CpuInterface.Write(0x04, 4, 0x40);                // PMR 0x40 hides 42
        Assert.Equal(GicSignal.None, gic.Signal);
        Assert.Equal(1023UL, gic.CpuInterface.Read(0x18, 4));
        gic.CpuInterface.Write(0x04, 4, 0xF0);
        gic.CpuInterface.Write(0x00, 4, 1 | 8);               // FIQEn: group 0 is signalled as FIQ
        Assert.Equal(GicSignal.Fiq, gic.Signal);
        gic.Distributor.Write(0x084, 4, 1u << 10);            // 42 in group 1, which is not enabled
        Assert.Equal(GicSignal.None, gic.Signal);
    }

    [Fact]
    public void Sgis_are_always_enabled_and_raised_through_sgir_only()
    {
        var gic = Enabled();
        gic.Distributor.Write(0x180, 4, 0xFFFF_FFFF);
        Assert.Equal(0xFFFFUL, gic.Distributor.Read(0x100, 4));
        gic.Distributor.Write(0x200, 4, 0xFFFF);               // ISPENDR does not raise SGIs
        Assert.Equal(GicSignal.None, gic.Signal);
        gic.Distributor.Write(0xF00, 4, (1u << 24) | 3);        // all other CPUs: none here
        Assert.Equal(GicSignal.None, gic.Signal);
        gic.Distributor.Write(0xF00, 4, (2u << 24) | 3);        // this CPU
        Assert.Equal(3UL, gic.CpuInterface.Read(0x0C, 4));
        Assert.Equal(0xAAAA_AAAAUL, gic.Distributor.Read(0xC00, 4));
        Assert.Equal(8UL, gic.Distributor.Read(0x004, 4));      // TYPER: 288 IDs, one CPU
    }

    [Fact]
    public void The_generic_timer_drives_its_ppis_from_the_instruction_clock()
    {
        var gic = Enabled();
        gic.Distributor.Write(0x100, 4, (1u << 30) | (1u << 27));
        var timer = new GenericTimer(gic);
        Assert.True(timer.TryWrite(2, 0, 100));   // CNTP_TVAL_EL0
        Assert.True(timer.TryWrite(2, 1, 1));     // CNTP_CTL_EL0.ENABLE
        timer.Advance(99);
        Assert.Equal(GicSignal.None, gic.Signal);
        timer.Advance(1);
        Assert.True(timer.TryRead(2, 1, out ulong control));
        Assert.Equal(5UL, control);               // ENABLE | ISTATUS
        Assert.Equal(30UL, gic.CpuInterface.Read(0x0C, 4));
        Assert.True(timer.TryWrite(3, 2, 150));  // CNTV_CVAL_EL0
        Assert.True(timer.TryWrite(3, 1, 1));
        Assert.Equal(50UL, timer.TicksToEvent);
        timer.Advance(timer.TicksToEvent);
        Assert.Equal(150UL, timer.Count);
        Assert.Equal(ulong.MaxValue, timer.TicksToEvent);   // past its compare: nothing more is due
        Assert.True(timer.TryRead(2, 0, out ulong tval));
        Assert.Equal(unchecked((uint)-50), tval);   // TVAL counts down past zero
    }
}
