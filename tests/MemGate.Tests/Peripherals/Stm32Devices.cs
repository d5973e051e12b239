using MemGate.Devices;
using MemGate.Peripherals;

namespace MemGate.Tests.Peripherals;

/// <summary>The STM32 templates' models, built the way a machine builds them, so the template entries are what is tested.</summary>
internal static class Stm32Devices
{
    public static PeripheralSet Build(string template)
    {
        var device = DeviceTemplates.Load(template);
        return PeripheralRegistry.Default.Build(device, new PeripheralContext(device, TextWriter.Null));
    }

    public static T Model<T>(string template, string name) where T : Peripheral => Model<T>(Build(template), name);

    public static T Model<T>(PeripheralSet set, string name) where T : Peripheral =>
        Assert.IsAssignableFrom<T>(set.Find(name) ?? throw new InvalidOperationException($"no model named {name}"));
}
