using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Peripherals;

/// <summary>
/// tests/firmware/stm32-startup: what vendor start-up code does (HSE, PLL, clock switch, flash latency, a
/// GPIO pin, the flash unlock sequence, TIM2's update interrupt) run on the STM32 templates' models.
/// </summary>
public sealed class Stm32StartupFirmwareTests
{
    private static string Image => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "stm32-startup", "startup.elf");

    [Theory]
    [InlineData("STM32F103")]
    [InlineData("STM32F407")]
    [InlineData("STM32F429")]
    public void Vendor_start_up_runs_through_and_takes_the_timer_interrupt(string template)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), output);
        FirmwareReader.Load(Image).LoadInto(machine.Memory);
        var result = machine.Run(maxInstructions: 1_000_000, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal("ok\n", output.ToString());
        Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
    }
}
