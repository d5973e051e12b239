using MemGate.Mmio;

namespace MemGate.Peripherals.Uart;

/// <summary>
/// The Arm PL011 UART (PrimeCell UART TRM, DDI 0183) as QEMU models it: DR writes appear on the output
/// at once and raise TXRIS, received bytes (<see cref="Receive"/>) wait in a FIFO with RXRIS, FR shows
/// the FIFOs' state, ICR clears raw interrupts, and the line is high while RIS AND IMSC is non-zero. The
/// identification registers read as a PL011's.
/// </summary>
public sealed class Pl011Uart : Peripheral, ISerialPort
{
    /// <summary>The registry's entry: model "pl011".</summary>
    public static PeripheralModelInfo Info { get; } = new("pl011",
        "Arm PrimeCell PL011 UART: DR transmits to the console, RX FIFO, RIS/IMSC/MIS/ICR interrupts (DDI 0183)", 0x1000, Create)
    {
        Parameters = [new("fifo_depth", "received bytes kept before more are dropped with OE (default 16, as the PL011's FIFO)")],
        Irqs = 1,
    };

    private const ulong ReceiveInterrupt = 1UL << 4;   // RXRIS
    private const ulong TransmitInterrupt = 1UL << 5;  // TXRIS
    private const ulong FlagReceiveEmpty = 1UL << 4;   // FR.RXFE
    private const ulong FlagTransmitEmpty = 1UL << 7;  // FR.TXFE

    private readonly Action<bool> _interruptLine;
    private readonly ReceiveFifo _received;
    private readonly PeripheralBlock[] _blocks;
    private readonly RegisterBlock _registers;
    private ulong _raw;   // RIS

    /// <summary>A PL011 at <paramref name="baseAddress"/> transmitting to <paramref name="output"/>.</summary>
    public Pl011Uart(string name, ulong baseAddress, TextWriter output, Action<bool>? interruptLine = null, int fifoDepth = 16) : base(name)
    {
        _interruptLine = interruptLine ?? (_ => { });
        _received = new ReceiveFifo(fifoDepth);
        var registers = new List<RegisterDefinition>
        {
            new("DR", 0x000, 32)
            {
                OnWrite = (_, v) =>
                {
                    output.Write((char)(v & 0xFF));
                    _raw |= TransmitInterrupt;   // the byte left the FIFO at once
                    UpdateLine();
                },
                OnRead = _ => TakeReceived(),
            },
            new("RSR_ECR", 0x004, 32),
            new("FR", 0x018, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => FlagTransmitEmpty | (_received.Count == 0 ? FlagReceiveEmpty : 0) },
            new("ILPR", 0x020, 32),
            new("IBRD", 0x024, 32),
            new("FBRD", 0x028, 32),
            new("LCR_H", 0x02C, 32),
            new("CR", 0x030, 32) { ResetValue = 0x300 },   // TXE | RXE
            new("IFLS", 0x034, 32) { ResetValue = 0x12 },
            new("IMSC", 0x038, 32) { OnWrite = (_, _) => UpdateLine() },
            new("RIS", 0x03C, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => _raw },
            new("MIS", 0x040, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => _raw & _registers!.Peek("IMSC") },
            new("ICR", 0x044, 32)
            {
                Access = FieldAccess.WriteOnly,
                OnWrite = (_, v) =>
                {
                    _raw &= ~v;
                    UpdateLine();
                },
            },
            new("DMACR", 0x048, 32),
        };
        registers.AddRange(PrimeCell.IdRegisters(0x11, 0x10, 0x14, 0x00));
        _registers = new RegisterBlock(name, 0x1000, registers, baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x1000, _registers)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>A byte arrives: it waits in the FIFO with RXRIS set (dropped when the FIFO is full).</summary>
    public void Receive(byte value)
    {
        _received.TryAdd(value);   // a full FIFO drops it
        _raw |= ReceiveInterrupt;
        UpdateLine();
    }

    /// <inheritdoc/>
    public bool CanReceive => !_received.IsFull;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        _received.Clear();
        _raw = 0;
        UpdateLine();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_received.Save());
        writer.Write(_raw);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        _received.Restore(reader.ReadBytes());
        _raw = reader.ReadUInt64();
    }

    private ulong TakeReceived()
    {
        ulong value = _received.Take();
        if (_received.Count == 0)
        {
            _raw &= ~ReceiveInterrupt;
            UpdateLine();
        }
        return value;
    }

    private void UpdateLine() => _interruptLine((_raw & _registers.Peek("IMSC")) != 0);

    private static Pl011Uart Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, context.OutputOf(settings.Name), context.InterruptLine(settings.Irq()), (int)settings.Number("fifo_depth", 16, 1, 4096));
}
