using System.Collections;
using MemGate.Devices;
using MemGate.Mmio;

namespace MemGate.Peripherals;

/// <summary>
/// A device's peripheral models, built by <see cref="PeripheralRegistry.Build"/>: the register blocks to
/// map, and reset, snapshots and time for all of them at once.
/// </summary>
public sealed class PeripheralSet : IReadOnlyList<Peripheral>
{
    private readonly Peripheral[] _peripherals;
    private readonly IClockedPeripheral[] _clocked;

    // built: each model with its entry's settings, or null for one the machine added where its architecture puts it.
    internal PeripheralSet(DeviceDescription device, PeripheralContext context, List<(Peripheral Model, PeripheralSettings? Declared)> built)
    {
        Context = context;
        _peripherals = [.. built.Select(b => b.Model)];
        _clocked = [.. _peripherals.OfType<IClockedPeripheral>()];
        var blocks = new List<PeripheralBlock>();
        foreach (var (model, declared) in built)
        {
            foreach (var block in model.Blocks)
            {
                if (device.AddressIndex.MmioRegionHolding(block.Base, block.Size) is not null)
                {
                    blocks.Add(block);
                }
                else
                {
                    // A model the file declares must work where the file says; one the machine adds is left out where the device has no bus for it.
                    declared?.Error("", $"registers '{block.Name}' [0x{block.Base:X}, size 0x{block.Size:X}] are not inside any mmio region");
                }
            }
        }
        Blocks = blocks;
    }

    /// <summary>What the models were built with (the machine sets its exit callback here).</summary>
    public PeripheralContext Context { get; }

    /// <summary>The register blocks to attach, each inside one of the device's mmio regions.</summary>
    public IReadOnlyList<PeripheralBlock> Blocks { get; }

    /// <inheritdoc/>
    public int Count => _peripherals.Length;

    /// <inheritdoc/>
    public Peripheral this[int index] => _peripherals[index];

    /// <summary>The first model of type <typeparamref name="T"/>, or null.</summary>
    public T? Find<T>() where T : class => _peripherals.OfType<T>().FirstOrDefault();

    /// <summary>The model called <paramref name="name"/> (any case), or null.</summary>
    public Peripheral? Find(string name) => _peripherals.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Ticks counted since the last <see cref="Reset"/>: the machine's time (Cortex-M semihosting's clocks read it; the A53's
    /// read its generic counter). A machine snapshot keeps it (one saved before it was kept restores it as 0); set by the
    /// machine that restores one.
    /// </summary>
    public ulong Ticks { get; set; }

    /// <summary>Resets every model, and <see cref="Ticks"/>.</summary>
    public void Reset()
    {
        Ticks = 0;
        foreach (var peripheral in _peripherals)
        {
            peripheral.Reset();
        }
    }

    /// <summary>Writes every model's state, for a machine snapshot.</summary>
    public void SaveState(StateWriter writer)
    {
        foreach (var peripheral in _peripherals)
        {
            peripheral.SaveState(writer);
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The state is another set of models'.</exception>
    public void RestoreState(StateReader reader)
    {
        foreach (var peripheral in _peripherals)
        {
            peripheral.RestoreState(reader);
        }
    }

    /// <summary>Counts <paramref name="ticks"/> on every model that counts time.</summary>
    public void Advance(ulong ticks)
    {
        Ticks += ticks;
        foreach (var clocked in _clocked)
        {
            clocked.Advance(ticks);
        }
    }

    /// <summary>Ticks until the next timed event of any model (<see cref="ulong.MaxValue"/>: none due).</summary>
    public ulong TicksToEvent
    {
        get
        {
            ulong next = ulong.MaxValue;
            foreach (var clocked in _clocked)
            {
                next = Math.Min(next, clocked.TicksToEvent);
            }
            return next;
        }
    }

    /// <summary>Lets time run on to the next timed event (a CPU waiting for an interrupt); false when nothing is due.</summary>
    public bool AdvanceToEvent()
    {
        ulong next = TicksToEvent;
        if (next == ulong.MaxValue)
        {
            return false;
        }
        Advance(next);
        return true;
    }

    /// <inheritdoc/>
    public IEnumerator<Peripheral> GetEnumerator() => ((IEnumerable<Peripheral>)_peripherals).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
