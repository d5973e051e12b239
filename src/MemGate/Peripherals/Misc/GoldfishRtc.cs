using MemGate.Mmio;

namespace MemGate.Peripherals.Misc;

/// <summary>
/// The Goldfish RTC (Android emulator; at 0x00101000 on QEMU's RISC-V <c>virt</c>): a nanosecond
/// counter read as TIME_LOW then TIME_HIGH (reading TIME_LOW latches the high half), and an alarm that
/// raises the interrupt when the time reaches it. Time is executed instructions at <c>clock</c> per second.
/// </summary>
public sealed class GoldfishRtc : Peripheral, IClockedPeripheral
{
    /// <summary>The registry's entry: model "goldfish-rtc".</summary>
    public static PeripheralModelInfo Info { get; } = new("goldfish-rtc",
        "Goldfish RTC (QEMU goldfish_rtc): 64-bit nanosecond time, alarm interrupt; time follows executed instructions at 'clock' Hz", 0x20, Create)
    {
        Parameters =
        [
            new("clock", "instructions per second of guest time (default 100000000)"),
            new("start", "time at reset, nanoseconds since 1970 (default 0)"),
        ],
        Irqs = 1,
    };

    private readonly ulong _clock;
    private readonly ulong _start;
    private readonly Action<bool> _interruptLine;
    private readonly PeripheralBlock[] _blocks;
    private ulong _ticks;
    private ulong _offset;       // written time minus counted time
    private ulong _latchedHigh;
    private ulong _alarm = ulong.MaxValue;
    private bool _alarmRunning;
    private bool _pending;
    private bool _enabled;

    private GoldfishRtc(string name, ulong baseAddress, ulong size, ulong clock, ulong start, Action<bool> interruptLine) : base(name)
    {
        (_clock, _start, _interruptLine, _offset) = (clock, start, interruptLine, start);
        var block = new RegisterBlock(name, size,
        [
            new RegisterDefinition("TIME_LOW", 0x00, 32)
            {
                OnRead = _ => { ulong now = Now; _latchedHigh = now >> 32; return now & 0xFFFF_FFFF; },
                OnWrite = (_, v) => _offset = ((_latchedHigh << 32) | v) - Counted,
            },
            new RegisterDefinition("TIME_HIGH", 0x04, 32) { OnRead = _ => _latchedHigh, OnWrite = (_, v) => _latchedHigh = v },
            new RegisterDefinition("ALARM_LOW", 0x08, 32)
            {
                OnRead = _ => _alarm & 0xFFFF_FFFF,
                OnWrite = (_, v) => { (_alarm, _alarmRunning) = ((_latchedHigh << 32) | v, true); Check(); },
            },
            new RegisterDefinition("ALARM_HIGH", 0x0C, 32) { OnRead = _ => _alarm >> 32, OnWrite = (_, v) => _latchedHigh = v },
            new RegisterDefinition("IRQ_ENABLED", 0x10, 32) { OnWrite = (_, v) => { _enabled = (v & 1) != 0; Update(); } },
            new RegisterDefinition("CLEAR_ALARM", 0x14, 32) { Access = FieldAccess.WriteOnly, OnWrite = (_, _) => _alarmRunning = false },
            new RegisterDefinition("ALARM_STATUS", 0x18, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => _alarmRunning ? 1UL : 0 },
            new RegisterDefinition("CLEAR_INTERRUPT", 0x1C, 32) { Access = FieldAccess.WriteOnly, OnWrite = (_, _) => { _pending = false; Update(); } },
        ], baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, size, block)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>The time now, nanoseconds since 1970.</summary>
    public ulong Now => Counted + _offset;

    private ulong Counted => (ulong)(_ticks * (UInt128)1_000_000_000 / _clock);

    /// <inheritdoc/>
    public ulong TicksToEvent => !_alarmRunning || _alarm <= Now ? ulong.MaxValue
        : (ulong)Math.Min((ulong)((_alarm - Now) * (UInt128)_clock / 1_000_000_000) + 1, ulong.MaxValue - 1);

    /// <inheritdoc/>
    public void Advance(ulong ticks)
    {
        _ticks += ticks;
        Check();
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        (_ticks, _offset, _latchedHigh, _alarm, _alarmRunning, _pending, _enabled) = (0, _start, 0, ulong.MaxValue, false, false, false);
        Update();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_ticks);
        writer.Write(_offset);
        writer.Write(_latchedHigh);
        writer.Write(_alarm);
        writer.Write(_alarmRunning);
        writer.Write(_pending);
        writer.Write(_enabled);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        (_ticks, _offset, _latchedHigh, _alarm) = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
        (_alarmRunning, _pending, _enabled) = (reader.ReadBoolean(), reader.ReadBoolean(), reader.ReadBoolean());
    }

    private void Check()
    {
        if (_alarmRunning && Now >= _alarm)
        {
            (_alarmRunning, _pending) = (false, true);
            Update();
        }
    }

    private void Update() => _interruptLine(_pending && _enabled);

    private static GoldfishRtc Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, Math.Max(settings.Entry.Size, 0x20), settings.Number("clock", 100_000_000, 1), settings.Number("start", 0),
            context.InterruptLine(settings.Irq()));
}
