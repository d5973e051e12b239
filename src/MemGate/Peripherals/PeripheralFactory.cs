namespace MemGate.Peripherals;

/// <summary>Builds a model from its checked settings; problems with the settings are reported through <paramref name="settings"/>.</summary>
public delegate Peripheral PeripheralFactory(PeripheralSettings settings, PeripheralContext context);
