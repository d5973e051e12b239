using MemGate.Mmio;

namespace MemGate.Peripherals;

/// <summary>
/// A peripheral model built from a device file's <c>[[peripherals]]</c> entry (or by a machine, for the
/// parts its CPU architecture defines): the register blocks it maps, and its state across reset and snapshots.
/// </summary>
/// <remarks>
/// The defaults cover models whose whole state is their register blocks' stored values; models that keep
/// state of their own (counters, FIFOs, line levels) override <see cref="Reset"/>, <see cref="SaveState"/> and
/// <see cref="RestoreState"/> and call the base.
/// </remarks>
public abstract class Peripheral(string name)
{
    /// <summary>The peripheral's name, e.g. "USART1".</summary>
    public string Name { get; } = name;

    /// <summary>The register blocks to map, each at its guest address.</summary>
    public abstract IReadOnlyList<PeripheralBlock> Blocks { get; }

    /// <summary>Back to the state after a hardware reset.</summary>
    public virtual void Reset()
    {
        foreach (var block in Blocks)
        {
            (block.Handler as RegisterBlock)?.Reset();
        }
    }

    /// <summary>Writes everything <see cref="RestoreState"/> needs to bring the model back to now (overrides call the base first).</summary>
    public virtual void SaveState(StateWriter writer)
    {
        writer.Begin(Name);
        foreach (var block in Blocks)
        {
            (block.Handler as RegisterBlock)?.SaveValues(writer);
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote for this model.</summary>
    /// <exception cref="InvalidDataException">The state is another model's.</exception>
    public virtual void RestoreState(StateReader reader)
    {
        reader.Begin(Name);
        foreach (var block in Blocks)
        {
            (block.Handler as RegisterBlock)?.RestoreValues(reader);
        }
    }
}
