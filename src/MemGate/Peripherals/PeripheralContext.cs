using MemGate.Devices;

namespace MemGate.Peripherals;

/// <summary>What models are built with: where their output goes, the device, and how they reach the interrupt controller and the run.</summary>
/// <param name="device">The device being built.</param>
/// <param name="output">Where UART output goes.</param>
public sealed class PeripheralContext(DeviceDescription device, TextWriter output)
{
    /// <summary>The device being built.</summary>
    public DeviceDescription Device { get; } = device;

    /// <summary>Where UART output goes.</summary>
    public TextWriter Output { get; } = output;

    /// <summary>UARTs whose output goes elsewhere than <see cref="Output"/> (a socket), by peripheral name (any case).</summary>
    public IReadOnlyDictionary<string, TextWriter>? SerialOutputs { get; init; }

    /// <summary>Where the UART called <paramref name="peripheral"/> writes: its entry in <see cref="SerialOutputs"/>, else <see cref="Output"/>.</summary>
    public TextWriter OutputOf(string peripheral)
    {
        if (SerialOutputs is { } outputs)
        {
            foreach (var (name, writer) in outputs)
            {
                if (name.Equals(peripheral, StringComparison.OrdinalIgnoreCase))
                {
                    return writer;
                }
            }
        }
        return Output;
    }

    /// <summary>The controller peripherals' lines drive; set once the set of peripherals is complete.</summary>
    public IInterruptController? InterruptController { get; internal set; }

    /// <summary>Called by a device that ends the run (the SiFive test finisher) with the firmware's exit code.</summary>
    public Action<int>? Exit { get; set; }

    /// <summary>Receives a line per unmodelled access and other things a model wants to say.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>An interrupt line's driver: level changes go to the controller (nothing when <paramref name="line"/> is null: not connected).</summary>
    public Action<bool> InterruptLine(int? line) => line is { } l ? asserted => InterruptController?.SetLevel(l, asserted) : _ => { };
}
