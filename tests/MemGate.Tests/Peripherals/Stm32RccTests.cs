using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Peripherals;
using MemGate.Peripherals.Stm32;

namespace MemGate.Tests.Peripherals;

/// <summary>The RCC and PWR models of the STM32 templates: ready flags follow their enable bits, the clock switch follows SW.</summary>
public sealed class Stm32RccTests
{
    [Theory]
    [InlineData("STM32F103", 0x00UL, 0x20UL, 0x24UL)]
    [InlineData("STM32F407", 0x00UL, 0x70UL, 0x74UL)]
    [InlineData("STM32F429", 0x00UL, 0x70UL, 0x74UL)]
    public void Ready_flags_follow_their_enable_bits(string template, ulong cr, ulong bdcr, ulong csr)
    {
        var rcc = Stm32Devices.Model<Stm32Rcc>(template, "RCC").Block;
        Assert.Equal(0x83UL, rcc.Read(cr, 4));                         // HSION, HSIRDY, HSITRIM 16
        rcc.Write(cr, 4, 0x83 | 1 << 16);                               // HSEON
        Assert.Equal(0x83UL | 3 << 16, rcc.Read(cr, 4));                // HSERDY
        rcc.Write(cr, 4, 0x83 | 1 << 16 | 1 << 24);                     // PLLON
        Assert.Equal(0x83UL | 3 << 16 | 3 << 24, rcc.Read(cr, 4));      // PLLRDY
        rcc.Write(cr, 4, 0x80 | 1 << 24);                               // HSI and HSE off
        Assert.Equal(0x80UL | 3 << 24, rcc.Read(cr, 4));
        rcc.Write(cr, 4, 0x80 | 1 << 17 | 1 << 25);                     // ready flags are read-only
        Assert.Equal(0x80UL, rcc.Read(cr, 4));

        rcc.Write(bdcr, 4, 1);                                          // LSEON
        Assert.Equal(3UL, rcc.Read(bdcr, 4) & 3);
        rcc.Write(csr, 4, 1);                                           // LSION
        Assert.Equal(3UL, rcc.Read(csr, 4) & 3);
    }

    [Theory]
    [InlineData("STM32F407")]
    [InlineData("STM32F429")]
    public void The_f4_i2s_pll_is_ready_when_on(string template)
    {
        var rcc = Stm32Devices.Model<Stm32Rcc>(template, "RCC").Block;
        rcc.Write(0x00, 4, 0x83 | 1 << 26);
        Assert.Equal(3UL << 26, rcc.Read(0x00, 4) & 3 << 26);
    }

    [Theory]
    [InlineData("STM32F103", 0x04UL)]
    [InlineData("STM32F407", 0x08UL)]
    public void The_clock_switch_status_follows_the_request(string template, ulong cfgr)
    {
        var rcc = Stm32Devices.Model<Stm32Rcc>(template, "RCC").Block;
        Assert.Equal(0UL, rcc.Read(cfgr, 4) & 0xF);
        for (ulong sw = 0; sw < 3; sw++)
        {
            rcc.Write(cfgr, 4, 0x0000_0400 | sw);
            Assert.Equal(0x0000_0400 | sw | sw << 2, rcc.Read(cfgr, 4));
        }
        rcc.Write(cfgr, 4, 0xC);   // SWS is read-only
        Assert.Equal(0UL, rcc.Read(cfgr, 4) & 0xF);
    }

    [Fact]
    public void Writing_rmvf_clears_the_reset_flags()
    {
        var rcc = Stm32Devices.Model<Stm32Rcc>("STM32F407", "RCC").Block;
        Assert.Equal(0x0E00_0000UL, rcc.Read(0x74, 4));
        rcc.Write(0x74, 4, 1UL << 24 | 0x0E00_0000);
        Assert.Equal(0UL, rcc.Read(0x74, 4));
    }

    [Fact]
    public void The_f429_over_drive_ready_flags_follow_their_requests()
    {
        var pwr = Stm32Devices.Model<Stm32Pwr>("STM32F429", "PWR").Block;
        Assert.Equal(0x4000UL, pwr.Read(0x04, 4));                       // VOSRDY
        pwr.Write(0x00, 4, 0xC000 | 1 << 16);                           // ODEN
        Assert.Equal(0x4000UL | 1 << 16, pwr.Read(0x04, 4));             // ODRDY
        pwr.Write(0x00, 4, 0xC000 | 3 << 16);                           // ODSWEN
        Assert.Equal(0x4000UL | 3 << 16, pwr.Read(0x04, 4));             // ODSWRDY
        pwr.Write(0x00, 4, 0xC000 | 1 << 9);                            // FPDS, over-drive off
        Assert.Equal(0x4000UL, pwr.Read(0x04, 4));
    }

    [Fact]
    public void The_backup_regulator_is_ready_when_enabled()
    {
        var pwr = Stm32Devices.Model<Stm32Pwr>("STM32F407", "PWR").Block;
        pwr.Write(0x04, 4, 1 << 9);                                      // BRE
        Assert.Equal(0x4000UL | 1 << 9 | 1 << 3, pwr.Read(0x04, 4));     // BRR
    }

    [Fact]
    public void An_unknown_family_is_an_error_located_at_its_key()
    {
        string text = DeviceTemplates.GetText("STM32F103").Replace("model = \"stm32-rcc\"\nfamily = \"f1\"", "model = \"stm32-rcc\"\nfamily = \"f7\"", StringComparison.Ordinal);
        var device = DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "f7.toml");
        var problem = Assert.Single(PeripheralRegistry.Default.Check(device));
        Assert.EndsWith(".family", problem.Field, StringComparison.Ordinal);
        Assert.Contains("must be one of f1, f4, f429", problem.Message, StringComparison.Ordinal);
        Assert.NotNull(problem.Location);
    }
}
