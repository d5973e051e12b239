namespace MemGate.Peripherals;

/// <summary>
/// A peripheral that counts time. The machine counts executed instructions as clock ticks, so timer
/// events come at exact, repeatable points of a run.
/// </summary>
public interface IClockedPeripheral
{
    /// <summary>Counts <paramref name="ticks"/> ticks (any number: a counter may wrap more than once).</summary>
    void Advance(ulong ticks);

    /// <summary>Ticks until the model next does something the CPU can see without reading it (an interrupt); <see cref="ulong.MaxValue"/> when nothing is due.</summary>
    ulong TicksToEvent { get; }
}
