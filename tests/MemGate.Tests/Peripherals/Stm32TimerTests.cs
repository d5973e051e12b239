using MemGate.Mmio;
using MemGate.Peripherals.Arm;
using MemGate.Peripherals.Stm32;

namespace MemGate.Tests.Peripherals;

/// <summary>The timer models of the STM32 templates: counting from executed instructions, update events and the update interrupt.</summary>
public sealed class Stm32TimerTests
{
    private const ulong Cr1 = 0x00, Dier = 0x0C, Sr = 0x10, Egr = 0x14, Cnt = 0x24, Psc = 0x28, Arr = 0x2C;

    [Theory]
    [InlineData("STM32F103", "TIM2", 28)]
    [InlineData("STM32F103", "TIM4", 30)]
    [InlineData("STM32F407", "TIM2", 28)]
    [InlineData("STM32F407", "TIM6", 54)]
    [InlineData("STM32F407", "TIM7", 55)]
    [InlineData("STM32F429", "TIM5", 50)]
    public void The_update_interrupt_comes_after_psc_and_arr_ticks(string template, string name, int irq)
    {
        var set = Stm32Devices.Build(template);
        var timer = Stm32Devices.Model<Stm32Timer>(set, name);
        var nvic = set.Find<ArmSystemControlSpace>()!.Nvic;
        var tim = timer.Block;
        tim.Write(Psc, 4, 9);                                             // a count every 10 ticks
        tim.Write(Arr, 4, 49);                                            // 50 counts: 500 ticks a period
        tim.Write(Egr, 4, 1);                                             // UG loads PSC and sets UIF
        Assert.Equal(1UL, tim.Read(Sr, 4));
        tim.Write(Sr, 4, 0);
        tim.Write(Dier, 4, 1);                                            // UIE
        Assert.Equal(ulong.MaxValue, timer.TicksToEvent);                 // not counting yet
        tim.Write(Cr1, 4, 1);                                             // CEN
        Assert.Equal(500UL, timer.TicksToEvent);
        set.Advance(123);
        Assert.Equal(12UL, tim.Read(Cnt, 4));
        Assert.Equal(377UL, set.TicksToEvent);
        set.Advance(376);
        Assert.False(timer.InterruptAsserted);
        Assert.False(nvic.IsPending(16 + irq));
        set.Advance(1);
        Assert.True(timer.InterruptAsserted);
        Assert.True(nvic.IsPending(16 + irq));
        Assert.Equal((0UL, 1UL), (tim.Read(Cnt, 4), tim.Read(Sr, 4)));
        tim.Write(Sr, 4, ~1UL & 0xFFFF);                                  // rc_w0: writing 0 clears UIF
        Assert.False(timer.InterruptAsserted);                            // the NVIC keeps the interrupt pending it latched (B3.4.1)
        set.Advance(500 * 7 + 30);                                        // several periods at once
        Assert.Equal((3UL, 1UL), (tim.Read(Cnt, 4), tim.Read(Sr, 4)));
    }

    [Fact]
    public void Without_uie_no_event_is_due_but_uif_is_still_set()
    {
        var timer = Stm32Devices.Model<Stm32Timer>("STM32F407", "TIM3");
        var tim = timer.Block;
        tim.Write(Arr, 4, 9);
        tim.Write(Cr1, 4, 1);
        Assert.Equal(ulong.MaxValue, timer.TicksToEvent);
        timer.Advance(10);
        Assert.Equal(1UL, tim.Read(Sr, 4));
        Assert.False(timer.InterruptAsserted);
    }

    [Fact]
    public void Urs_keeps_ug_from_setting_uif_and_opm_stops_at_the_update()
    {
        var timer = Stm32Devices.Model<Stm32Timer>("STM32F103", "TIM3");
        var tim = timer.Block;
        tim.Write(Cr1, 4, 1 << 2);                                        // URS
        tim.Write(Arr, 4, 4);
        tim.Write(Egr, 4, 1);
        Assert.Equal(0UL, tim.Read(Sr, 4));
        tim.Write(Cr1, 4, 1 << 3 | 1 << 2 | 1);                           // OPM, CEN
        timer.Advance(5);
        Assert.Equal(1UL, tim.Read(Sr, 4));
        Assert.Equal(0UL, tim.Read(Cr1, 4) & 1);
        timer.Advance(100);
        Assert.Equal(0UL, tim.Read(Cnt, 4));
    }

    [Fact]
    public void The_prescaler_takes_effect_at_the_update_event_and_arpe_buffers_arr()
    {
        var timer = Stm32Devices.Model<Stm32Timer>("STM32F407", "TIM4");
        var tim = timer.Block;
        tim.Write(Arr, 4, 9);
        tim.Write(Cr1, 4, 1 << 7 | 1);                                    // ARPE, CEN
        tim.Write(Psc, 4, 1);                                             // buffered until the update
        timer.Advance(5);
        Assert.Equal(5UL, tim.Read(Cnt, 4));
        tim.Write(Arr, 4, 19);                                            // buffered: this period still ends at 9
        timer.Advance(5);
        Assert.Equal((0UL, 1UL), (tim.Read(Cnt, 4), tim.Read(Sr, 4)));
        timer.Advance(20);                                                // now 2 ticks a count, up to 19
        Assert.Equal(10UL, tim.Read(Cnt, 4));
    }

    [Fact]
    public void The_f4_tim2_counts_32_bits()
    {
        var timer = Stm32Devices.Model<Stm32Timer>("STM32F407", "TIM2");
        timer.Block.Write(Arr, 4, 0xFFFF_FFFF);
        timer.Block.Write(Cnt, 4, 0x1_0000);
        timer.Block.Write(Cr1, 4, 1);
        timer.Advance(1);
        Assert.Equal(0x1_0001UL, timer.Block.Read(Cnt, 4));
    }

    [Fact]
    public void A_timer_snapshot_restores_the_count()
    {
        var timer = Stm32Devices.Model<Stm32Timer>("STM32F407", "TIM3");
        timer.Block.Write(Arr, 4, 99);
        timer.Block.Write(Cr1, 4, 1);
        timer.Advance(10);
        var saved = new StateWriter();
        timer.SaveState(saved);
        timer.Advance(50);
        timer.RestoreState(new StateReader(saved.ToArray()));
        Assert.Equal(10UL, timer.Block.Read(Cnt, 4));
        timer.Advance(89);
        Assert.Equal(0UL, timer.Block.Read(Sr, 4));
        timer.Advance(1);
        Assert.Equal(1UL, timer.Block.Read(Sr, 4));
    }
}
