using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Peripherals.Misc;

/// <summary>
/// The Arm PrimeCell PL061 GPIO (DDI 0190): eight pins; GPIODATA is read and written through address
/// bits [9:2] as a mask, GPIODIR picks outputs, and edge- or level-sensitive interrupts (IS, IBE, IEV,
/// IE, RIS, MIS, IC) follow the pins the host drives (<see cref="SetInput"/>).
/// </summary>
public sealed class Pl061Gpio : Peripheral, IGpioPort, IMmioHandler, IRegisterNames
{
    /// <summary>The registry's entry: model "pl061".</summary>
    public static PeripheralModelInfo Info { get; } = new("pl061",
        "Arm PrimeCell PL061 GPIO: 8 pins, masked GPIODATA, edge/level interrupts; pins visible to and driven by the host (DDI 0190)", 0x1000,
        (settings, context) => new Pl061Gpio(settings.Name, settings.Base, context.InterruptLine(settings.Irq())))
    {
        Irqs = 1,
    };

    private static readonly byte[] Ids = [0x61, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1];
    private readonly Action<bool> _interruptLine;
    private readonly PeripheralBlock[] _blocks;
    private byte _data;     // output latch
    private byte _inputs;   // levels the host drives
    private byte _direction, _sense, _bothEdges, _event, _enable, _raw, _alternate;

    private Pl061Gpio(string name, ulong baseAddress, Action<bool> interruptLine) : base(name)
    {
        _interruptLine = interruptLine;
        _blocks = [new PeripheralBlock(name, baseAddress, 0x1000, this)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public int PinCount => 8;

    /// <inheritdoc/>
    public ulong Levels => (byte)((_data & _direction) | (_inputs & ~_direction));

    /// <inheritdoc/>
    public ulong Outputs => _direction;

    /// <inheritdoc/>
    public void SetInput(int pin, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pin, 8);
        byte before = (byte)Levels;
        _inputs = (byte)(level ? _inputs | (1 << pin) : _inputs & ~(1 << pin));
        Detect(before);
    }

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size) => offset switch
    {
        < 0x400 => (ulong)(Levels & (offset >> 2)),
        0x400 => _direction,
        0x404 => _sense,
        0x408 => _bothEdges,
        0x40C => _event,
        0x410 => _enable,
        0x414 => RawStatus,
        0x418 => (ulong)(RawStatus & _enable),
        0x420 => _alternate,
        >= 0xFE0 and < 0x1000 => Ids[(offset - 0xFE0) / 4],
        _ => 0,
    };

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        byte before = (byte)Levels;
        byte v = (byte)value;
        switch (offset)
        {
            case < 0x400:
                byte mask = (byte)(offset >> 2);
                _data = (byte)((_data & ~mask) | (v & mask));
                break;
            case 0x400: _direction = v; break;
            case 0x404: _sense = v; break;
            case 0x408: _bothEdges = v; break;
            case 0x40C: _event = v; break;
            case 0x410: _enable = v; break;
            case 0x41C: _raw &= (byte)~v; break;
            case 0x420: _alternate = v; break;
        }
        Detect(before);
    }

    /// <inheritdoc/>
    public (string? Peripheral, string? Register) Describe(ulong offset) => (Name, offset switch
    {
        < 0x400 => "GPIODATA",
        0x400 => "GPIODIR",
        0x404 => "GPIOIS",
        0x408 => "GPIOIBE",
        0x40C => "GPIOIEV",
        0x410 => "GPIOIE",
        0x414 => "GPIORIS",
        0x418 => "GPIOMIS",
        0x41C => "GPIOIC",
        0x420 => "GPIOAFSEL",
        >= 0xFE0 and < 0x1000 => "ID",
        _ => null,
    });

    /// <inheritdoc/>
    public override void Reset()
    {
        (_data, _inputs, _direction, _sense, _bothEdges, _event, _enable, _raw, _alternate) = (0, 0, 0, 0, 0, 0, 0, 0, 0);
        Update();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write([_data, _inputs, _direction, _sense, _bothEdges, _event, _enable, _raw, _alternate]);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        Span<byte> s = stackalloc byte[9];
        reader.Read(s);
        (_data, _inputs, _direction, _sense, _bothEdges, _event, _enable, _raw, _alternate) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
    }

    // Level-sensitive pins (IS set) show their level in RIS while it matches IEV; edges latch.
    private byte RawStatus => (byte)(_raw | (_sense & ~(Levels ^ _event)));

    private void Detect(byte before)
    {
        byte now = (byte)Levels;
        byte changed = (byte)(before ^ now);
        byte edges = (byte)(changed & ~_sense & (_bothEdges | ~(now ^ _event)));   // both edges, or the edge IEV names
        _raw |= edges;
        Update();
    }

    private void Update() => _interruptLine((RawStatus & _enable) != 0);
}
