using MemGate.Devices;
using MemGate.Mmio;
using MemGate.Peripherals.Arm;

namespace MemGate.Emulation;

/// <summary>
/// A device's <c>[[interrupt_triggers]]</c> on a Cortex-M NVIC, with Fuzzware's rules: a firing is skipped
/// while the trigger's skip count runs, then pends its interrupt (fixed, the enabled ones in turn, or one the
/// MMIO input picks) for <c>pends</c> firings in a row, then skips again; an interrupt whose handler is running is pended too (it runs again after the return).
/// A trigger with a fuzzed interval takes one more byte at each firing that chooses, for its next interval
/// (Fuzzware's <c>interrupt_triggers.c</c>: the interrupt's byte first, then the interval's).
/// </summary>
internal sealed class InterruptTriggers
{
    private readonly Trigger[] _triggers;
    private readonly Nvic _nvic;
    private readonly Func<MmioInput?> _input;

    public InterruptTriggers(DeviceDescription device, Nvic nvic, Func<MmioInput?> input)
    {
        _nvic = nvic;
        _input = input;
        _triggers = [.. device.InterruptTriggers.Select(t => new Trigger(t, t.At is { } at ? Resolve(device, t, at) : null))];
        Addresses = _triggers.Where(t => t.Address is not null).Select(t => t.Address!.Value).ToHashSet();
    }

    /// <summary>The addresses of location-based triggers (the machine hooks them).</summary>
    public IReadOnlySet<ulong> Addresses { get; }

    /// <summary>Instructions until the next time-based firing at the latest (<see cref="ulong.MaxValue"/>: none); a trigger counting blocks gives its blocks left, never more than the instructions they take.</summary>
    public ulong TicksToEvent
    {
        get
        {
            // Asked at every block the machine looks at: a plain loop, no allocation.
            ulong next = ulong.MaxValue;
            foreach (var t in _triggers)
            {
                if (t.Timed || t.BlockTimed)
                {
                    next = Math.Min(next, t.Countdown);
                }
            }
            return next;
        }
    }

    public void Reset()
    {
        foreach (var t in _triggers)
        {
            t.Reset();
        }
    }

    /// <summary>Counts executed instructions; time-based triggers fire (once per due period, as a counter that wraps does).</summary>
    public void Advance(ulong instructions)
    {
        foreach (var t in _triggers)
        {
            if (!t.Timed)
            {
                continue;
            }
            if (instructions < t.Countdown)
            {
                t.Countdown -= instructions;
                continue;
            }
            t.Countdown = t.Period - (instructions - t.Countdown) % t.Period;
            Fire(t);
        }
    }

    /// <summary>Counts basic blocks entered (or, while the CPU sleeps, ticks of time): triggers that count blocks fire when due.</summary>
    public void AdvanceBlocks(ulong blocks)
    {
        foreach (var t in _triggers)
        {
            if (!t.BlockTimed)
            {
                continue;
            }
            if (blocks < t.Countdown)
            {
                t.Countdown -= blocks;
                continue;
            }
            t.Countdown = t.Period - (blocks - t.Countdown) % t.Period;
            Fire(t);
        }
    }

    /// <summary>Execution reached <paramref name="address"/>: location-based triggers there fire.</summary>
    public void Reached(ulong address)
    {
        foreach (var t in _triggers.Where(t => t.Address == address))
        {
            Fire(t);
        }
    }

    public void SaveState(StateWriter writer)
    {
        writer.Begin("interrupt triggers");
        writer.Write(_triggers.Length);
        foreach (var t in _triggers)
        {
            writer.Write(t.Countdown);
            writer.Write(t.Period);
            writer.Write([t.Skipped, t.Pended, t.NextIndex, t.Irq]);
        }
    }

    public void RestoreState(StateReader reader)
    {
        reader.Begin("interrupt triggers");
        if (reader.ReadInt32() != _triggers.Length)
        {
            throw new InvalidDataException("Model state does not match this machine: it has another number of interrupt triggers.");
        }
        Span<int> fields = stackalloc int[4];
        foreach (var t in _triggers)
        {
            t.Countdown = reader.ReadUInt64();
            t.Period = reader.ReadUInt64();
            reader.Read(fields);
            (t.Skipped, t.Pended, t.NextIndex, t.Irq) = (fields[0], fields[1], fields[2], fields[3]);
        }
    }

    private void Fire(Trigger t)
    {
        if (t.Pended == 0)
        {
            if (t.Skipped < t.SkipCount)
            {
                t.Skipped++;
                return;
            }
            t.Irq = Choose(t);
            if (t.Spec.EveryFuzzed)
            {
                // Chosen even when no interrupt can be pended, as Fuzzware does; the new interval starts now.
                var intervals = DeviceInterruptTrigger.FuzzedIntervals;
                t.Period = intervals[(int)(Take(t, "to pick its next interval") % (ulong)intervals.Count)];
                t.Countdown = t.Period;
            }
            if (t.Irq < 0)
            {
                return;
            }
        }
        // Pended even while its handler runs, as Fuzzware's nvic_set_pending does: the handler runs again after it returns.
        _nvic.SetPending(t.Irq);
        if (++t.Pended >= t.Spec.Pends)
        {
            (t.Pended, t.Skipped) = (0, 0);
        }
    }

    // The interrupt to pend, or -1 when none can be (nothing enabled, or the input ran out for a choice).
    private int Choose(Trigger t)
    {
        if (t.Spec.Irq is { } fixedIrq)
        {
            return fixedIrq;
        }
        var enabled = Enumerable.Range(0, _nvic.ExternalInterrupts).Where(i => _nvic.IsEnabled(Nvic.FirstExternal + i)).ToList();
        if (enabled.Count == 0)
        {
            return -1;
        }
        if (t.Spec.Mode == InterruptTriggerMode.RoundRobin)
        {
            return enabled[t.NextIndex++ % enabled.Count];
        }
        // One byte of input picks among several; with one enabled, nothing is consumed (as Fuzzware).
        return enabled.Count == 1 ? enabled[0] : enabled[(int)(Take(t, "to pick an interrupt") % (ulong)enabled.Count)];
    }

    // One byte of the MMIO input (0 without one); when none is left the run ends, saying which trigger needed it.
    private ulong Take(Trigger t, string purpose) => _input()?.Take(1, $"interrupt trigger '{t.Spec.Name}' needed 1 byte {purpose}") ?? 0;

    private static ulong Resolve(DeviceDescription device, DeviceInterruptTrigger trigger, string at) =>
        (device.AddressOf(at) & ~1UL) ?? throw new DeviceDescriptionException(device.Name, [new DeviceDiagnostic(DiagnosticSeverity.Error, "interrupt_triggers",
            $"trigger '{trigger.Name}': at = '{at}' is neither an address nor one of the device's symbols")]);

    private sealed class Trigger(DeviceInterruptTrigger spec, ulong? address)
    {
        public DeviceInterruptTrigger Spec { get; } = spec;

        public ulong? Address { get; } = address;

        // Fuzzware skips a location-based trigger's first firing unless told otherwise.
        public int SkipCount { get; } = spec.Skips ?? (address is not null ? 1 : 0);

        public ulong Countdown { get; set; }

        // Time-based triggers count down from their interval: fixed, or the one the input picked last.
        public bool Timed => (Spec.Every is not null || Spec.EveryFuzzed) && !Spec.CountsBlocks;

        public bool BlockTimed => (Spec.Every is not null || Spec.EveryFuzzed) && Spec.CountsBlocks;

        public ulong Period { get; set; }

        public int Skipped { get; set; }

        public int Pended { get; set; }

        public int NextIndex { get; set; }

        public int Irq { get; set; }

        public void Reset()
        {
            Period = Spec.Every ?? (Spec.EveryFuzzed ? DeviceInterruptTrigger.FuzzedIntervals[0] : ulong.MaxValue);
            Countdown = Period;
            // As in Fuzzware, the very first firing does not wait out the skips.
            (Skipped, Pended, NextIndex, Irq) = (SkipCount, 0, 0, 0);
        }
    }
}
