namespace MemGate.Peripherals;

/// <summary>A GPIO port whose pins the host can see and drive (a test, a UI, a connected model).</summary>
public interface IGpioPort
{
    /// <summary>How many pins it has.</summary>
    int PinCount { get; }

    /// <summary>The level of each pin as the firmware drives it (outputs) or the host does (inputs), one bit per pin.</summary>
    ulong Levels { get; }

    /// <summary>Which pins are outputs, one bit per pin.</summary>
    ulong Outputs { get; }

    /// <summary>The host drives input pin <paramref name="pin"/> (edges may raise the port's interrupt).</summary>
    void SetInput(int pin, bool level);
}
