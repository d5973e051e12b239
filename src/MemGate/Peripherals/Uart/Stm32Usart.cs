using MemGate.Mmio;

namespace MemGate.Peripherals.Uart;

/// <summary>
/// The STM32 USART (RM0008 section 27.6, RM0090 section 30.6; register and field names as ST's SVD
/// files): data written to DR appears on the output at once, so TXE and TC always read as set and polling
/// drivers progress; bytes received (<see cref="Receive"/>) wait in a FIFO behind RDR with RXNE set. Its
/// interrupt line is high while UE is set and TXEIE or TCIE is (TXE and TC always are), or RXNEIE with
/// data waiting.
/// </summary>
public sealed class Stm32Usart : Peripheral, ISerialPort
{
    /// <summary>The registry's entry: model "stm32-usart".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-usart",
        "STM32F1/F2/F4 USART/UART: DR transmits to the console, RX FIFO with RXNE, interrupt on TXE/TC/RXNE (RM0008 27.6, RM0090 30.6)", 0x400, Create)
    {
        Parameters = [new("fifo_depth", "received bytes kept before the oldest is dropped with ORE set (default 16)")],
        Irqs = 1,
    };

    private const ulong Enable = 1UL << 13;           // UE
    private const ulong InterruptOnEmpty = 1UL << 7;  // TXEIE
    private const ulong InterruptOnDone = 1UL << 6;   // TCIE
    private const ulong InterruptOnReceive = 1UL << 5; // RXNEIE
    private const ulong ReceiveEnable = 1UL << 2;     // RE
    private const ulong Overrun = 1UL << 3;           // ORE

    private readonly Action<bool> _interruptLine;
    private readonly ReceiveFifo _received;
    private readonly PeripheralBlock[] _blocks;
    private bool _overrun;

    /// <summary>A USART at <paramref name="baseAddress"/> whose transmitted bytes go to <paramref name="output"/>; <paramref name="interruptLine"/> hears its interrupt line change.</summary>
    public Stm32Usart(string name, ulong baseAddress, TextWriter output, Action<bool>? interruptLine = null, int fifoDepth = 16) : base(name)
    {
        _interruptLine = interruptLine ?? (_ => { });
        _received = new ReceiveFifo(fifoDepth);
        Block = new RegisterBlock(name, 0x400,
        [
            new RegisterDefinition("SR", 0x00, 32)
            {
                ResetValue = 0xC0,
                Fields =
                [
                    new RegisterField("TXE", 7, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => 1 },
                    new RegisterField("TC", 6, 1) { WriteAction = WriteAction.ZeroToClear, OnRead = _ => 1 },
                    new RegisterField("RXNE", 5, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => _received.Count > 0 ? 1UL : 0 },
                    new RegisterField("ORE", 3, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => _overrun ? 1UL : 0 },
                    new RegisterField("FLAGS", 0, 3) { Access = FieldAccess.ReadOnly },
                ],
            },
            new RegisterDefinition("DR", 0x04, 32)
            {
                Fields = [new RegisterField("DR", 0, 9) { OnWrite = (_, value) => output.Write((char)(value & 0xFF)), OnRead = _ => TakeReceived() }],
            },
            new RegisterDefinition("BRR", 0x08, 32),
            new RegisterDefinition("CR1", 0x0C, 32) { OnWrite = (_, _) => UpdateLine() },
            new RegisterDefinition("CR2", 0x10, 32),
            new RegisterDefinition("CR3", 0x14, 32),
            new RegisterDefinition("GTPR", 0x18, 32),
        ], baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>The USART's registers.</summary>
    public RegisterBlock Block { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>Whether the interrupt line is asserted.</summary>
    public bool InterruptAsserted
    {
        get
        {
            ulong control = Block.Peek("CR1");
            return (control & Enable) != 0
                && ((control & (InterruptOnEmpty | InterruptOnDone)) != 0 || (control & InterruptOnReceive) != 0 && (_received.Count > 0 || _overrun));
        }
    }

    /// <summary>A byte arrives on RX: it waits behind DR (RXNE); with the FIFO full it is dropped and ORE set. Ignored unless UE and RE are set.</summary>
    public void Receive(byte value)
    {
        ulong control = Block.Peek("CR1");
        if ((control & Enable) == 0 || (control & ReceiveEnable) == 0)
        {
            return;
        }
        _overrun |= !_received.TryAdd(value);
        UpdateLine();
    }

    /// <inheritdoc/>
    public bool CanReceive => (Block.Peek("CR1") & (Enable | ReceiveEnable)) == (Enable | ReceiveEnable) && !_received.IsFull;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        _received.Clear();
        _overrun = false;
        UpdateLine();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_received.Save());
        writer.Write(_overrun);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        _received.Restore(reader.ReadBytes());
        _overrun = reader.ReadBoolean();
    }

    // Reading DR takes the oldest byte and, as on the part (SR then DR), clears ORE.
    private ulong TakeReceived()
    {
        ulong value = _received.Take();
        _overrun = false;
        UpdateLine();
        return value;
    }

    private void UpdateLine() => _interruptLine(InterruptAsserted);

    private static Stm32Usart Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, context.OutputOf(settings.Name), context.InterruptLine(settings.Irq()), (int)settings.Number("fifo_depth", 16, 1, 4096));
}
