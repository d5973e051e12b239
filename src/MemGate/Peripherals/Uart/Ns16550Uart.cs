using MemGate.Mmio;

namespace MemGate.Peripherals.Uart;

/// <summary>
/// The 16550A UART (byte registers; as on QEMU's RISC-V <c>virt</c> board): THR writes appear on the
/// output at once, LSR always shows THRE and TEMT and shows DR while received bytes (<see cref="Receive"/>)
/// wait, IIR shows the highest pending interrupt enabled in IER (received data, then THR empty), and
/// with DLAB set offsets 0 and 1 are the divisor latch instead.
/// </summary>
public sealed class Ns16550Uart : Peripheral, ISerialPort
{
    /// <summary>The registry's entry: model "ns16550a".</summary>
    public static PeripheralModelInfo Info { get; } = new("ns16550a",
        "16550A UART: THR transmits to the console, RBR receives, IER/IIR interrupts, divisor latch (PC16550D datasheet)", 0x8, Create)
    {
        Parameters = [new("fifo_depth", "received bytes kept before more are dropped with OE (default 16, as the 16550A's FIFO)")],
        Irqs = 1,
    };

    private const ulong Dlab = 0x80;
    private const ulong DataReady = 0x01;          // LSR.DR
    private const ulong Overrun = 0x02;            // LSR.OE
    private const ulong ReceiveEnabled = 0x01;     // IER.ERBFI
    private const ulong TransmitEnabled = 0x02;    // IER.ETBEI

    private readonly Action<bool> _interruptLine;
    private readonly ReceiveFifo _received;
    private readonly RegisterBlock _registers;
    private readonly PeripheralBlock[] _blocks;
    private ulong _divisor;
    private bool _overrun;
    private bool _transmitPending;   // THR empty interrupt: set by a write (the byte leaves at once), cleared by reading IIR or writing THR

    /// <summary>A 16550A at <paramref name="baseAddress"/> transmitting to <paramref name="output"/>.</summary>
    public Ns16550Uart(string name, ulong baseAddress, TextWriter output, Action<bool>? interruptLine = null, int fifoDepth = 16, ulong size = 0x100) : base(name)
    {
        _interruptLine = interruptLine ?? (_ => { });
        _received = new ReceiveFifo(fifoDepth);
        bool Latch() => (_registers!.Peek("LCR") & Dlab) != 0;
        _registers = new RegisterBlock(name, size,
        [
            new RegisterDefinition("RBR_THR", 0, 8)
            {
                OnWrite = (_, v) =>
                {
                    if (Latch())
                    {
                        _divisor = (_divisor & 0xFF00) | (v & 0xFF);
                        return;
                    }
                    output.Write((char)(v & 0xFF));
                    _transmitPending = true;
                    UpdateLine();
                },
                OnRead = _ => Latch() ? _divisor & 0xFF : TakeReceived(),
            },
            new RegisterDefinition("IER", 1, 8)
            {
                OnWrite = (old, v) =>
                {
                    if (Latch())
                    {
                        _divisor = (_divisor & 0xFF) | ((v & 0xFF) << 8);
                        _registers!.Poke("IER", old);   // the latch took it, not IER
                        return;
                    }
                    // Enabling the THR-empty interrupt with THR empty raises it at once, as on the part.
                    _transmitPending |= (v & TransmitEnabled) != 0 && (old & TransmitEnabled) == 0;
                    UpdateLine();
                },
                OnRead = value => Latch() ? _divisor >> 8 : value & 0x0F,
            },
            new RegisterDefinition("IIR_FCR", 2, 8) { OnRead = _ => Identify() },
            new RegisterDefinition("LCR", 3, 8),
            new RegisterDefinition("MCR", 4, 8),
            new RegisterDefinition("LSR", 5, 8)
            {
                Access = FieldAccess.ReadOnly,
                OnRead = _ =>
                {
                    ulong value = 0x60 | (_received.Count > 0 ? DataReady : 0) | (_overrun ? Overrun : 0);   // THRE | TEMT always
                    _overrun = false;
                    return value;
                },
            },
            new RegisterDefinition("MSR", 6, 8) { Access = FieldAccess.ReadOnly },
            new RegisterDefinition("SCR", 7, 8),
        ], baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, size, _registers)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>A byte arrives: it waits behind RBR with LSR.DR set (dropped with OE when the FIFO is full).</summary>
    public void Receive(byte value)
    {
        _overrun |= !_received.TryAdd(value);
        UpdateLine();
    }

    /// <inheritdoc/>
    public bool CanReceive => !_received.IsFull;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        _received.Clear();
        (_divisor, _overrun, _transmitPending) = (0, false, false);
        UpdateLine();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_received.Save());
        writer.Write(_divisor);
        writer.Write(_overrun);
        writer.Write(_transmitPending);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        _received.Restore(reader.ReadBytes());
        (_divisor, _overrun, _transmitPending) = (reader.ReadUInt64(), reader.ReadBoolean(), reader.ReadBoolean());
    }

    private bool ReceivePending => _received.Count > 0 && (_registers.Peek("IER") & ReceiveEnabled) != 0;

    private bool TransmitPending => _transmitPending && (_registers.Peek("IER") & TransmitEnabled) != 0;

    // IIR: 0x04 received data available, 0x02 THR empty (reading it clears that one), 0x01 nothing pending; FIFOs enabled (0xC0) when FCR says so.
    private ulong Identify()
    {
        ulong value = ReceivePending ? 0x04UL : TransmitPending ? 0x02UL : 0x01UL;
        if (value == 0x02)
        {
            _transmitPending = false;
            UpdateLine();
        }
        return value;
    }

    private ulong TakeReceived()
    {
        ulong value = _received.Take();
        UpdateLine();
        return value;
    }

    private void UpdateLine() => _interruptLine(ReceivePending || TransmitPending);

    private static Ns16550Uart Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, context.OutputOf(settings.Name), context.InterruptLine(settings.Irq()), (int)settings.Number("fifo_depth", 16, 1, 4096),
            Math.Max(settings.Entry.Size, 8));
}
