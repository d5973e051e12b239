using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>
/// The STM32 USART (RM0008 section 27.6, RM0090 section 30.6) as far as a transmitting driver needs: data
/// written to DR appears on the output at once, so TXE and TC always read as set and polling drivers
/// progress; the other registers keep what is written. With UE and TXEIE or TCIE set in CR1 its
/// interrupt line is asserted, so interrupt-driven drivers progress too.
/// </summary>
public sealed class Stm32Usart
{
    /// <summary>USART1's interrupt number on STM32F1 and F4 (RM0008 table 63, RM0090 table 61).</summary>
    public const int Usart1Irq = 37;

    private const ulong Enable = 1UL << 13;         // UE
    private const ulong InterruptOnEmpty = 1UL << 7;  // TXEIE
    private const ulong InterruptOnDone = 1UL << 6;   // TCIE

    private readonly Action<bool>? _interruptLine;
    private ulong _control;   // CR1 as last written

    /// <summary>A USART at <paramref name="baseAddress"/> whose transmitted bytes go to <paramref name="output"/>; <paramref name="interruptLine"/> hears its interrupt line change.</summary>
    public Stm32Usart(string name, ulong baseAddress, TextWriter output, Action<bool>? interruptLine = null)
    {
        _interruptLine = interruptLine;
        Block = new RegisterBlock(name, 0x400,
        [
            new RegisterDefinition("SR", 0x00, 32)
            {
                ResetValue = 0xC0,
                Fields =
                [
                    new RegisterField("TXE", 7, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => 1 },
                    new RegisterField("TC", 6, 1) { WriteAction = WriteAction.ZeroToClear, OnRead = _ => 1 },
                    new RegisterField("RXNE", 5, 1) { WriteAction = WriteAction.ZeroToClear },
                    new RegisterField("FLAGS", 0, 5) { Access = FieldAccess.ReadOnly },
                ],
            },
            new RegisterDefinition("DR", 0x04, 32)
            {
                Fields = [new RegisterField("DR", 0, 9) { OnWrite = (_, value) => output.Write((char)(value & 0xFF)) }],
            },
            new RegisterDefinition("BRR", 0x08, 32),
            new RegisterDefinition("CR1", 0x0C, 32) { OnWrite = (_, value) => SetControl(value) },
            new RegisterDefinition("CR2", 0x10, 32),
            new RegisterDefinition("CR3", 0x14, 32),
            new RegisterDefinition("GTPR", 0x18, 32),
        ], baseAddress: baseAddress);
    }

    /// <summary>The USART's registers.</summary>
    public RegisterBlock Block { get; }

    /// <summary>Whether the interrupt line is asserted: enabled (UE) with TXEIE or TCIE set, as TXE and TC always are.</summary>
    public bool InterruptAsserted => (_control & Enable) != 0 && (_control & (InterruptOnEmpty | InterruptOnDone)) != 0;

    /// <summary>CR1, for a machine snapshot; setting it drives nothing (the NVIC's snapshot holds the line).</summary>
    internal ulong Control
    {
        get => _control;
        set
        {
            _control = value;
            Block.Poke("CR1", value);
        }
    }

    /// <summary>Back to reset: CR1 cleared, the interrupt line low.</summary>
    public void Reset()
    {
        Block.Reset();
        SetControl(0);
    }

    private void SetControl(ulong value)
    {
        _control = value;
        _interruptLine?.Invoke(InterruptAsserted);
    }
}
