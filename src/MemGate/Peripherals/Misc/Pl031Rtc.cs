using MemGate.Mmio;

namespace MemGate.Peripherals.Misc;

/// <summary>
/// The Arm PrimeCell PL031 real-time clock (DDI 0224): DR counts seconds from LR, MR raises the
/// interrupt when DR reaches it (RIS, IMSC, MIS, ICR). Time is executed instructions at <c>clock</c>
/// per second, so runs are repeatable; DR starts at <c>start</c> (seconds since 1970).
/// </summary>
public sealed class Pl031Rtc : Peripheral, IClockedPeripheral
{
    /// <summary>The registry's entry: model "pl031".</summary>
    public static PeripheralModelInfo Info { get; } = new("pl031",
        "Arm PrimeCell PL031 RTC: DR/MR/LR/CR, match interrupt; seconds follow executed instructions at 'clock' Hz (DDI 0224)", 0x1000, Create)
    {
        Parameters =
        [
            new("clock", "instructions per second of guest time (default 100000000)"),
            new("start", "DR at reset, seconds since 1970 (default 0)"),
        ],
        Irqs = 1,
    };

    private readonly ulong _clock;
    private readonly ulong _start;
    private readonly Action<bool> _interruptLine;
    private readonly RegisterBlock _registers;
    private readonly PeripheralBlock[] _blocks;
    private ulong _ticks;       // executed instructions since reset
    private ulong _loadedAt;    // _ticks when LR was last written
    private ulong _loaded;      // LR's value then
    private bool _raw;          // RIS

    private Pl031Rtc(string name, ulong baseAddress, ulong clock, ulong start, Action<bool> interruptLine) : base(name)
    {
        (_clock, _start, _interruptLine, _loaded) = (clock, start, interruptLine, start);
        var registers = new List<RegisterDefinition>
        {
            new("DR", 0x00, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => Seconds },
            new("MR", 0x04, 32) { OnWrite = (_, _) => Update() },
            new("LR", 0x08, 32) { OnWrite = (_, v) => { (_loaded, _loadedAt) = (v, _ticks); Update(); } },
            new("CR", 0x0C, 32) { ResetValue = 1, OnWrite = (_, _) => _registers!.Poke("CR", 1) },   // started, and a 0 is ignored (as QEMU)
            new("IMSC", 0x10, 32) { OnWrite = (_, _) => Update() },
            new("RIS", 0x14, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => _raw ? 1UL : 0 },
            new("MIS", 0x18, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => _raw && Masked ? 1UL : 0 },
            new("ICR", 0x1C, 32) { Access = FieldAccess.WriteOnly, OnWrite = (_, v) => { _raw &= (v & 1) == 0; Update(); } },
        };
        registers.AddRange(PrimeCell.IdRegisters(0x31, 0x10, 0x04, 0x00));
        _registers = new RegisterBlock(name, 0x1000, registers, baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x1000, _registers)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>DR now.</summary>
    public ulong Seconds => (_loaded + (_ticks - _loadedAt) / _clock) & 0xFFFF_FFFF;

    private bool Masked => (_registers.Peek("IMSC") & 1) != 0;

    /// <inheritdoc/>
    public ulong TicksToEvent
    {
        get
        {
            ulong match = _registers.Peek("MR");
            if (_raw || !Masked || match <= Seconds)
            {
                return ulong.MaxValue;
            }
            ulong elapsed = _ticks - _loadedAt;
            return (match - _loaded) * _clock - elapsed;
        }
    }

    /// <inheritdoc/>
    public void Advance(ulong ticks)
    {
        ulong before = Seconds;
        _ticks += ticks;
        ulong match = _registers.Peek("MR");
        if (before < match && Seconds >= match)
        {
            _raw = true;
            Update();
        }
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        (_ticks, _loadedAt, _loaded, _raw) = (0, 0, _start, false);
        Update();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_ticks);
        writer.Write(_loadedAt);
        writer.Write(_loaded);
        writer.Write(_raw);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        (_ticks, _loadedAt, _loaded, _raw) = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadBoolean());
    }

    private void Update() => _interruptLine(_raw && Masked);

    private static Pl031Rtc Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, settings.Number("clock", 100_000_000, 1), settings.Number("start", 0, 0, uint.MaxValue), context.InterruptLine(settings.Irq()));
}
