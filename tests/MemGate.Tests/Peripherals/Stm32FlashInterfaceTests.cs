using MemGate.Peripherals.Stm32;

namespace MemGate.Tests.Peripherals;

/// <summary>The flash interface models of the STM32 templates: wait states, the unlock sequences, status flags.</summary>
public sealed class Stm32FlashInterfaceTests
{
    [Theory]
    [InlineData("STM32F103", 1UL << 7)]
    [InlineData("STM32F407", 1UL << 31)]
    [InlineData("STM32F429", 1UL << 31)]
    public void The_key_sequence_unlocks_cr_and_setting_lock_locks_it_again(string template, ulong lockBit)
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>(template, "FLASH_IF");
        var registers = flash.Block;
        Assert.True(flash.Locked);
        registers.Write(0x10, 4, 1);                                     // PG: ignored while locked
        Assert.Equal(lockBit, registers.Read(0x10, 4));
        registers.Write(0x04, 4, Stm32FlashInterface.Key1);
        Assert.True(flash.Locked);
        registers.Write(0x04, 4, Stm32FlashInterface.Key2);
        Assert.False(flash.Locked);
        Assert.Equal(0UL, registers.Read(0x04, 4));                       // KEYR is write-only
        registers.Write(0x10, 4, 1);
        Assert.Equal(1UL, registers.Read(0x10, 4));
        registers.Write(0x10, 4, lockBit);
        Assert.True(flash.Locked);
    }

    [Fact]
    public void A_wrong_key_locks_cr_until_reset()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F407", "FLASH_IF");
        flash.Block.Write(0x04, 4, Stm32FlashInterface.Key2);
        flash.Block.Write(0x04, 4, Stm32FlashInterface.Key1);
        flash.Block.Write(0x04, 4, Stm32FlashInterface.Key2);
        Assert.True(flash.Locked);
        flash.Reset();
        flash.Block.Write(0x04, 4, Stm32FlashInterface.Key1);
        flash.Block.Write(0x04, 4, Stm32FlashInterface.Key2);
        Assert.False(flash.Locked);
    }

    [Fact]
    public void The_f4_option_key_sequence_clears_optlock()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F407", "FLASH_IF").Block;
        Assert.Equal(0x0FFF_AAEDUL, flash.Read(0x14, 4));
        flash.Write(0x14, 4, 0x0FFF_AAEC);                                // ignored while OPTLOCK
        Assert.Equal(1UL, flash.Read(0x14, 4) & 1);
        flash.Write(0x08, 4, Stm32FlashInterface.OptionKey1);
        flash.Write(0x08, 4, Stm32FlashInterface.OptionKey2);
        Assert.Equal(0x0FFF_AAECUL, flash.Read(0x14, 4));
    }

    [Fact]
    public void The_f1_option_key_sequence_sets_optwre()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F103", "FLASH_IF").Block;
        flash.Write(0x08, 4, Stm32FlashInterface.Key1);
        flash.Write(0x08, 4, Stm32FlashInterface.Key2);
        Assert.Equal(0x80UL | 1 << 9, flash.Read(0x10, 4));
    }

    [Fact]
    public void F1_acr_keeps_the_latency_and_prftbs_follows_prftbe()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F103", "FLASH_IF").Block;
        Assert.Equal(0x30UL, flash.Read(0x00, 4));
        flash.Write(0x00, 4, 0x12);                                       // PRFTBE, LATENCY 2
        Assert.Equal(0x32UL, flash.Read(0x00, 4));
        flash.Write(0x00, 4, 0x02);
        Assert.Equal(0x02UL, flash.Read(0x00, 4));
    }

    [Fact]
    public void F4_acr_keeps_the_latency_and_cache_enables()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F407", "FLASH_IF").Block;
        flash.Write(0x00, 4, 0x705);                                      // DCEN, ICEN, PRFTEN, LATENCY 5
        Assert.Equal(0x705UL, flash.Read(0x00, 4));
    }

    [Fact]
    public void A_finished_operation_reports_eop_which_writing_1_clears()
    {
        var flash = Stm32Devices.Model<Stm32FlashInterface>("STM32F407", "FLASH_IF").Block;
        flash.Write(0x04, 4, Stm32FlashInterface.Key1);
        flash.Write(0x04, 4, Stm32FlashInterface.Key2);
        flash.Write(0x10, 4, 1UL << 24 | 1UL << 16 | 1 << 2);            // EOPIE, STRT, MER
        Assert.Equal(1UL << 24 | 1 << 2, flash.Read(0x10, 4));            // STRT done
        Assert.Equal(1UL, flash.Read(0x0C, 4));                           // EOP, not BSY
        flash.Write(0x0C, 4, 1);
        Assert.Equal(0UL, flash.Read(0x0C, 4));
    }
}
