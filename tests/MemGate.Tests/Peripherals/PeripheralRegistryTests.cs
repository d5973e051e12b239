using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Peripherals;
using MemGate.Peripherals.Arm;
using MemGate.Peripherals.Uart;

namespace MemGate.Tests.Peripherals;

/// <summary>Device file entries become models, and every entry a model cannot use is an error naming the field and its line.</summary>
public sealed class PeripheralRegistryTests
{
    private const string Board = """
        [device]
        name = "Board"
        cpu = "cortex-m3"

        [[regions]]
        name = "Flash"
        guest_address = "0x08000000"
        size = "64KB"
        type = "flash"

        [[regions]]
        name = "Bus"
        guest_address = "0x40000000"
        size = "64KB"
        type = "mmio"

        [[regions]]
        name = "PPB"
        guest_address = "0xE0000000"
        size = "1MB"
        type = "mmio"

        """;

    private static PeripheralSet Build(string peripherals)
    {
        var device = DeviceConfigReader.Parse(Board + peripherals, DeviceConfigFormat.Toml, "board.toml");
        return PeripheralRegistry.Default.Build(device, new PeripheralContext(device, TextWriter.Null), ArmSystemControlSpace.Info.Model);
    }

    private static DeviceDiagnostic Problem(string peripherals)
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => Build(peripherals));
        return Assert.Single(e.Diagnostics);
    }

    [Fact]
    public void Every_template_model_is_known_and_every_template_builds()
    {
        foreach (string name in DeviceTemplates.Names)
        {
            var device = DeviceTemplates.Load(name);
            Assert.Empty(PeripheralRegistry.Default.Check(device));
            foreach (var entry in device.Peripherals.Where(p => p.Model is not null))
            {
                Assert.NotNull(PeripheralRegistry.Default.Find(entry.Model!));
            }
        }
    }

    [Fact]
    public void The_stm32_templates_declare_their_uarts_and_nvic_lines_in_the_file()
    {
        var device = DeviceTemplates.Load("STM32F407");
        var set = PeripheralRegistry.Default.Build(device, new PeripheralContext(device, TextWriter.Null), ArmSystemControlSpace.Info.Model);
        Assert.Equal(82, set.Find<ArmSystemControlSpace>()!.Nvic.ExternalInterrupts);
        Assert.Equal(["UART4", "UART5", "USART1", "USART2", "USART3", "USART6"], set.OfType<Stm32Usart>().Select(u => u.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(0x4001_1000UL, set.Find("USART1")!.Blocks[0].Base);
    }

    [Fact]
    public void A_model_the_file_does_not_name_is_added_where_the_architecture_puts_it()
    {
        var set = Build("");
        var scs = Assert.IsType<ArmSystemControlSpace>(Assert.Single(set));
        Assert.Equal(240, scs.Nvic.ExternalInterrupts);
        Assert.Contains(set.Blocks, b => b.Name == "NVIC" && b.Base == 0xE000_E100);
    }

    [Fact]
    public void An_unknown_model_is_located_and_the_closest_name_suggested()
    {
        var d = Problem("""
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            model = "stm32-usrt"
            """);
        Assert.Equal("peripherals[0].model", d.Field);
        Assert.Contains("did you mean 'stm32-usart'", d.Message, StringComparison.Ordinal);
        Assert.Equal(26, d.Location!.Value.Line);   // the model line
    }

    [Fact]
    public void A_setting_the_model_does_not_take_is_an_error_listing_the_ones_it_does()
    {
        var d = Problem("""
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            model = "stm32-usart"
            fifo = 8
            """);
        Assert.Equal("peripherals[0].fifo", d.Field);
        Assert.Contains("known: fifo_depth", d.Message, StringComparison.Ordinal);
        Assert.Equal(27, d.Location!.Value.Line);   // the fifo line
    }

    [Theory]
    [InlineData("fifo_depth = 0", "peripherals[0].fifo_depth", "not a number from 1 to 4096")]
    [InlineData("irq = 240", "peripherals[0].irq", "line 240 is not one the interrupt controller 'SCS' takes (0-239)")]
    [InlineData("irq = [1, 2]", "peripherals[0].irq", "drives 1 interrupt line(s), the entry lists 2")]
    public void Settings_and_lines_out_of_range_are_errors(string extra, string field, string message)
    {
        var d = Problem($"""
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            model = "stm32-usart"
            {extra}
            """);
        Assert.Equal(field, d.Field);
        Assert.Contains(message, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_outside_every_mmio_region_is_an_error()
    {
        var d = Problem("""
            [[peripherals]]
            name = "U1"
            base = "0x50000000"
            size = "1KB"
            model = "stm32-usart"
            """);
        Assert.Equal("peripherals[0]", d.Field);
        Assert.Contains("not inside any mmio region", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_system_control_space_cannot_move_and_a_device_has_one_interrupt_controller()
    {
        var moved = Problem("""
            [[peripherals]]
            name = "SCS"
            base = "0x40000000"
            size = "4KB"
            model = "armv7m-scs"
            """);
        Assert.Contains("at 0xE000E000 on every ARMv7-M part", moved.Message, StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => Build("""
            [[peripherals]]
            name = "SCS"
            base = "0xE000E000"
            size = "4KB"
            model = "armv7m-scs"

            [[peripherals]]
            name = "GIC"
            base = "0x40000000"
            size = "64KB"
            model = "gicv2"
            cpu_interface = "0x40000000"
            """));
        Assert.Contains(e.Diagnostics, d => d.Message.Contains("one interrupt controller", StringComparison.Ordinal));
    }

    [Fact]
    public void Irq_lines_and_settings_survive_conversion_to_every_format()
    {
        var device = DeviceConfigReader.Parse(Board + """
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            model = "stm32-usart"
            irq = 37
            fifo_depth = 4

            [[peripherals]]
            name = "G"
            base = "0x40004000"
            size = "4KB"
            model = "pl061"
            irq = [7]
            """, DeviceConfigFormat.Toml, "board.toml");
        foreach (var format in new[] { DeviceConfigFormat.Toml, DeviceConfigFormat.Yaml, DeviceConfigFormat.Json })
        {
            var back = DeviceConfigReader.Parse(DeviceConfigWriter.Write(device, format), format, $"board.{format}");
            Assert.Equal(device.Peripherals, back.Peripherals);
            Assert.Equal([37], back.Peripherals[0].Irqs);
            Assert.Equal("4", back.Peripherals[0].Parameters["fifo_depth"]);
        }
    }

    [Fact]
    public void An_entry_without_a_model_takes_no_settings()
    {
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(Board + """
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            fifo_depth = 4
            """, DeviceConfigFormat.Toml, "board.toml"));
        Assert.Contains(e.Diagnostics, d => d.Field == "peripherals[0].fifo_depth" && d.Message.Contains("unknown field", StringComparison.Ordinal));
    }

    [Fact]
    public void Validation_adds_the_architectures_interrupt_controller_as_a_run_does()
    {
        // No SCS entry: the machine adds the NVIC, so a UART's line is fine for validate as for run.
        var device = DeviceConfigReader.Parse(Board + """
            [[peripherals]]
            name = "U1"
            base = "0x40000000"
            size = "1KB"
            model = "stm32-usart"
            irq = 37
            """, DeviceConfigFormat.Toml, "board.toml");
        Assert.Empty(PeripheralRegistry.Default.Check(device));
        Assert.Equal(["armv7m-scs"], PeripheralRegistry.ArchitecturalFor(device));
    }
}
