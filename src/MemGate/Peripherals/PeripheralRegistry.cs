using MemGate.Devices;
using MemGate.Peripherals.Arm;
using MemGate.Peripherals.Misc;
using MemGate.Peripherals.RiscV;
using MemGate.Peripherals.Stm32;
using MemGate.Peripherals.Uart;

namespace MemGate.Peripherals;

/// <summary>
/// The models a device file's <c>[[peripherals]] model = "…"</c> can name, and the builder that turns a
/// device's entries into a <see cref="PeripheralSet"/>. A new model is one class with a static
/// <c>Info</c> and one line in <see cref="Default"/>.
/// </summary>
public sealed class PeripheralRegistry
{
    private readonly Dictionary<string, PeripheralModelInfo> _models = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every model MemGate has.</summary>
    public static PeripheralRegistry Default { get; } = new PeripheralRegistry()
        .Add(ArmSystemControlSpace.Info)
        .Add(Gicv2.Info)
        .Add(RiscVClint.Info)
        .Add(Stm32Usart.Info)
        .Add(Pl011Uart.Info)
        .Add(Ns16550Uart.Info)
        .Add(SifiveTest.Info)
        .Add(Pl031Rtc.Info)
        .Add(GoldfishRtc.Info)
        .Add(Pl061Gpio.Info)
        .Add(Stm32Rcc.Info)
        .Add(Stm32Pwr.Info)
        .Add(Stm32FlashInterface.Info)
        .Add(Stm32Gpio.Info)
        .Add(Stm32Timer.Info);

    /// <summary>The models, by name.</summary>
    public IReadOnlyCollection<PeripheralModelInfo> Models => _models.Values;

    /// <summary>Adds a model (a name already taken is refused).</summary>
    public PeripheralRegistry Add(PeripheralModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!_models.TryAdd(model.Model, model))
        {
            throw new ArgumentException($"A peripheral model named '{model.Model}' is already registered.", nameof(model));
        }
        return this;
    }

    /// <summary>The model called <paramref name="name"/> (any case), or null.</summary>
    public PeripheralModelInfo? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>The models a machine adds for the device's CPU where the file declares none (the interrupt controller and timer its architecture defines).</summary>
    public static string[] ArchitecturalFor(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string cpu = device.Cpu.ToLowerInvariant();
        string architecture = device.Architecture.ToLowerInvariant();
        return cpu.StartsWith("cortex-m", StringComparison.Ordinal) ? [ArmSystemControlSpace.Info.Model]
            : cpu == "cortex-a53" ? [Gicv2.Info.Model]
            : architecture.StartsWith("rv32", StringComparison.Ordinal) || architecture.StartsWith("rv64", StringComparison.Ordinal) ? [RiscVClint.Info.Model]
            : [];
    }

    /// <summary>
    /// What is wrong with the device's peripheral entries as models (unknown models, settings, irq lines), each
    /// located; empty when they build. The models the device's CPU architecture defines are added as a machine adds them.
    /// </summary>
    public IReadOnlyList<DeviceDiagnostic> Check(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        try
        {
            Build(device, new PeripheralContext(device, TextWriter.Null), ArchitecturalFor(device));
            return [];
        }
        catch (DeviceDescriptionException e)
        {
            return e.Diagnostics;
        }
    }

    /// <summary>
    /// Builds a model for every entry of <paramref name="device"/> that names one, then each model of
    /// <paramref name="architectural"/> the file does not declare, at the place its architecture defines;
    /// wires interrupt lines to the one interrupt controller among them.
    /// </summary>
    /// <exception cref="DeviceDescriptionException">An entry names an unknown model or has settings or lines its model cannot use; every problem is listed, located in the file.</exception>
    public PeripheralSet Build(DeviceDescription device, PeripheralContext context, params string[] architectural)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<DeviceDiagnostic>();
        var built = new List<(Peripheral Model, PeripheralSettings Settings, bool Declared)>();
        for (int i = 0; i < device.Peripherals.Count; i++)
        {
            var entry = device.Peripherals[i];
            if (entry.Model is not { } name)
            {
                continue;
            }
            if (Find(name) is not { } model)
            {
                string known = string.Join(", ", _models.Keys.Order(StringComparer.Ordinal));
                string? guess = NameSuggestion.Closest(name, _models.Keys);
                problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, $"peripherals[{i}].model",
                    $"{entry.Name}: unknown model '{name}'{(guess is null ? "" : $" (did you mean '{guess}'?)")}; known: {known}")
                    { Location = entry.Locations.TryGetValue("model", out var at) ? at : null });
                continue;
            }
            var settings = new PeripheralSettings(entry, i, model, problems);
            if (entry.Size < model.Size)
            {
                settings.Error("", $"size 0x{entry.Size:X} cannot hold the model's registers (0x{model.Size:X} bytes)");
            }
            if (entry.Irqs.Count > model.Irqs)
            {
                settings.Error("irq", model.Irqs == 0 ? "the model drives no interrupt line" : $"the model drives {model.Irqs} interrupt line(s), the entry lists {entry.Irqs.Count}");
            }
            Peripheral peripheral;
            try
            {
                peripheral = model.Create(settings, context);
            }
            catch (ArgumentException e)
            {
                settings.Error("", e.Message);
                continue;
            }
            settings.CheckUnread();
            built.Add((peripheral, settings, true));
        }
        foreach (string name in architectural)
        {
            var model = Find(name) ?? throw new ArgumentException($"No peripheral model named '{name}'.", nameof(architectural));
            if (model.Architectural is not { } place)
            {
                throw new ArgumentException($"Model '{name}' has no architectural place.", nameof(architectural));
            }
            if (built.Any(b => b.Settings.Model == model))
            {
                continue;
            }
            var entry = new DevicePeripheral(place.Name, place.Base, model.Size, device.Spaces[0].Name) { Model = model.Model };
            var settings = new PeripheralSettings(entry, -1, model, problems);
            built.Add((model.Create(settings, context), settings, false));
        }
        var controllers = built.Where(b => b.Model is IInterruptController).ToList();
        if (controllers.Count > 1)
        {
            controllers[1].Settings.Error("model", $"a device has one interrupt controller; '{controllers[0].Model.Name}' is one already");
        }
        var controller = controllers.Count > 0 ? (IInterruptController)controllers[0].Model : null;
        context.InterruptController = controller;
        foreach (var (model, settings, _) in built)
        {
            foreach (int line in settings.Entry.Irqs)
            {
                if (controller is null)
                {
                    settings.Error("irq", "the device has no interrupt controller model to take the line");
                }
                else if (line < controller.FirstLine || line >= controller.LineCount)
                {
                    settings.Error("irq", $"line {line} is not one the interrupt controller '{((Peripheral)controller).Name}' takes ({controller.FirstLine}-{controller.LineCount - 1})");
                }
            }
        }
        for (int i = 0; i < device.InterruptTriggers.Count; i++)
        {
            // Triggers pend NVIC interrupts (Fuzzware's); their fixed line must be one the NVIC has.
            var trigger = device.InterruptTriggers[i];
            string? problem = controller is not ArmSystemControlSpace nvic ? "interrupt triggers pend Cortex-M NVIC interrupts, and the device has no NVIC"
                : trigger.Irq is { } irq && (irq < nvic.FirstLine || irq >= nvic.LineCount) ? $"line {irq} is not one the NVIC takes ({nvic.FirstLine}-{nvic.LineCount - 1})"
                : null;
            if (problem is not null)
            {
                string field = trigger.Irq is not null ? $"interrupt_triggers[{i}].irq" : $"interrupt_triggers[{i}]";
                problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, field, $"trigger '{trigger.Name}': {problem}") { Location = device.LocationOf(field) });
            }
        }
        var set = new PeripheralSet(device, context, built.Select(b => (b.Model, b.Declared ? b.Settings : null)).ToList());
        if (problems.Count > 0)
        {
            throw new DeviceDescriptionException($"Device '{device.Name}'", problems);
        }
        return set;
    }
}
