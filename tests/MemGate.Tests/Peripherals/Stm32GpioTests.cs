using MemGate.Peripherals.Stm32;

namespace MemGate.Tests.Peripherals;

/// <summary>The GPIO models of the STM32 templates: BSRR and BRR drive ODR, IDR reads the pins, the host sees and drives them.</summary>
public sealed class Stm32GpioTests
{
    [Theory]
    [InlineData("STM32F407", "GPIOA", 0xA800_0000UL, 0x6400_0000UL)]
    [InlineData("STM32F407", "GPIOB", 0x0000_0280UL, 0x0000_0100UL)]
    [InlineData("STM32F407", "GPIOC", 0UL, 0UL)]
    [InlineData("STM32F429", "GPIOK", 0UL, 0UL)]
    public void F4_ports_reset_with_their_debug_pins(string template, string port, ulong moder, ulong pupdr)
    {
        var gpio = Stm32Devices.Model<Stm32Gpio>(template, port).Block;
        Assert.Equal((moder, pupdr), (gpio.Read(0x00, 4), gpio.Read(0x0C, 4)));
    }

    [Fact]
    public void F4_bsrr_sets_and_resets_odr_bits_and_idr_reads_the_pins()
    {
        var port = Stm32Devices.Model<Stm32Gpio>("STM32F407", "GPIOD");
        var gpio = port.Block;
        gpio.Write(0x00, 4, 0x5500_0000);                                 // PD12-PD15 outputs
        Assert.Equal(0xF000UL, port.Outputs);
        gpio.Write(0x18, 4, 0x0000_3000);                                 // set PD12, PD13
        Assert.Equal(0x3000UL, gpio.Read(0x14, 4));
        Assert.Equal(0x3000UL, gpio.Read(0x10, 4));
        Assert.Equal(0UL, gpio.Read(0x18, 4));                            // BSRR reads 0
        gpio.Write(0x18, 4, 0x1000_4000);                                 // reset PD12, set PD14
        Assert.Equal(0x6000UL, gpio.Read(0x14, 4));
        gpio.Write(0x18, 4, 0x4000_4000);                                 // both for PD14: set wins
        Assert.Equal(0x6000UL, gpio.Read(0x14, 4));
        gpio.Write(0x1A, 2, 0x2000);                                      // half-word store to the reset half: PD13
        Assert.Equal(0x4000UL, gpio.Read(0x14, 4));
        Assert.Equal(0x4000UL, port.Levels);
    }

    [Fact]
    public void F4_inputs_read_what_the_host_drives_or_their_pull()
    {
        var port = Stm32Devices.Model<Stm32Gpio>("STM32F407", "GPIOC");
        var gpio = port.Block;
        gpio.Write(0x0C, 4, 0x1);                                         // PC0 pull-up
        Assert.Equal(1UL, gpio.Read(0x10, 4));
        port.SetInput(0, false);
        port.SetInput(5, true);
        Assert.Equal(1UL << 5, gpio.Read(0x10, 4));
        gpio.Write(0x14, 4, 1UL << 5);                                    // ODR has no say over an input
        Assert.Equal(1UL << 5, port.Levels);
        gpio.Write(0x00, 4, 1UL << 10);                                   // PC5 output, driving 1
        port.SetInput(5, false);
        Assert.Equal(1UL << 5, gpio.Read(0x10, 4));
    }

    [Fact]
    public void F1_ports_reset_floating_and_bsrr_brr_drive_outputs()
    {
        var port = Stm32Devices.Model<Stm32Gpio>("STM32F103", "GPIOC");
        var gpio = port.Block;
        Assert.Equal((0x4444_4444UL, 0x4444_4444UL), (gpio.Read(0x00, 4), gpio.Read(0x04, 4)));
        gpio.Write(0x04, 4, 0x4424_4444);                                 // PC13 output push-pull 2 MHz
        Assert.Equal(1UL << 13, port.Outputs);
        gpio.Write(0x10, 4, 1UL << 13);
        Assert.Equal(1UL << 13, gpio.Read(0x08, 4));
        gpio.Write(0x14, 4, 1UL << 13);                                   // BRR
        Assert.Equal(0UL, gpio.Read(0x08, 4));
        gpio.Write(0x10, 4, 1UL << 29);                                   // BSRR reset half
        Assert.Equal(0UL, gpio.Read(0x0C, 4));
        gpio.Write(0x00, 4, 0x4444_4448);                                 // PC0 input with pull, ODR0 = 1: pull-up
        gpio.Write(0x10, 4, 1);
        Assert.Equal(1UL, gpio.Read(0x08, 4));
        Assert.Equal(0UL, port.Outputs & 1);
    }

    [Fact]
    public void The_lock_sequence_reads_back_lckk()
    {
        var gpio = Stm32Devices.Model<Stm32Gpio>("STM32F407", "GPIOA").Block;
        gpio.Write(0x1C, 4, 0x1_0001);
        gpio.Write(0x1C, 4, 0x0_0001);
        gpio.Write(0x1C, 4, 0x1_0001);
        _ = gpio.Read(0x1C, 4);
        Assert.Equal(0x1_0001UL, gpio.Read(0x1C, 4));
    }
}
