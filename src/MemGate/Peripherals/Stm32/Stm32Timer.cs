using MemGate.Mmio;
using static MemGate.Peripherals.Stm32.Stm32Registers;

namespace MemGate.Peripherals.Stm32;

/// <summary>
/// An STM32 basic (TIM6/TIM7) or general-purpose (TIM2-TIM5) timer counting up (RM0008 sections 15-16,
/// RM0090 sections 18-19; names as ST's SVD files). Executed instructions are its clock ticks: the counter
/// advances every PSC+1 ticks and, passing ARR, wraps to 0 with an update event, which loads PSC (and ARR
/// under ARPE), sets SR.UIF unless UDIS, and stops the counter under OPM. EGR.UG restarts the count with an
/// update event (UIF unless URS). SR flags are cleared by writing 0 (rc_w0); the interrupt line is high
/// while a flag and its DIER enable are both set. Down and centre-aligned counting, capture/compare
/// matching, slave modes and DMA are not modelled: their registers keep what is written.
/// </summary>
public sealed class Stm32Timer : Peripheral, IClockedPeripheral
{
    /// <summary>The registry's entry: model "stm32-timer".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-timer",
        "STM32 basic/general-purpose timer: up-counting with PSC/ARR from executed instructions, update event, UIF/UIE interrupt (RM0008 15-16, RM0090 18-19)", 0x400,
        (settings, context) => new Stm32Timer(settings.Name, settings.Base,
            settings.Choice("kind", "general", "general", "basic") == "basic",
            settings.Choice("counter_bits", "16", "16", "32") == "32" ? 32 : 16,
            context.InterruptLine(settings.Irq()), context.Log))
    {
        Parameters =
        [
            new("kind", "general (TIM2-TIM5: capture/compare registers) or basic (TIM6/TIM7: counter only); default general"),
            new("counter_bits", "16 or 32 (F2/F4 TIM2 and TIM5); default 16"),
        ],
        Irqs = 1,
    };

    private const ulong Enable = 1;            // CR1.CEN
    private const ulong NoUpdate = 1 << 1;     // CR1.UDIS
    private const ulong UpdateOnlyOnOverflow = 1 << 2;   // CR1.URS
    private const ulong OnePulse = 1 << 3;     // CR1.OPM
    private const ulong Preload = 1 << 7;      // CR1.ARPE
    private const ulong Update = 1;            // SR.UIF, DIER.UIE, EGR.UG
    private const ulong Interrupts = 0x5F;     // SR flags with a DIER enable at the same bit (UIF, CCxIF, TIF)

    private readonly Action<bool> _interruptLine;
    private readonly PeripheralBlock[] _blocks;
    private readonly ulong _max;   // the counter's largest value
    private ulong _counter;        // CNT
    private ulong _prescaled;      // ticks counted towards the next counter step, below _prescaler + 1
    private ulong _prescaler;      // PSC in effect (loaded at update events)
    private ulong _reload;         // ARR in effect (loaded at once, or at update events under ARPE)

    /// <summary>A timer at <paramref name="baseAddress"/>: basic (TIM6/7 registers) or general-purpose, with a <paramref name="counterBits"/>-bit counter.</summary>
    public Stm32Timer(string name, ulong baseAddress, bool basic = false, int counterBits = 16, Action<bool>? interruptLine = null, Action<string>? log = null) : base(name)
    {
        if (counterBits is not (16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(counterBits), counterBits, "A timer's counter has 16 or 32 bits.");
        }
        Basic = basic;
        _max = counterBits == 32 ? uint.MaxValue : ushort.MaxValue;
        _interruptLine = interruptLine ?? (_ => { });
        Block = Stm32Registers.Block(name, baseAddress, basic ? BasicRegisters() : GeneralRegisters(), log);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>Whether it is a basic timer (no capture/compare registers).</summary>
    public bool Basic { get; }

    /// <summary>The timer's registers.</summary>
    public RegisterBlock Block { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <summary>CNT now.</summary>
    public ulong Counter => _counter;

    /// <summary>Whether the interrupt line is asserted.</summary>
    public bool InterruptAsserted => (Block.Peek("SR") & Block.Peek("DIER") & Interrupts) != 0;

    private bool Running => (Block.Peek("CR1") & Enable) != 0;

    /// <inheritdoc/>
    public ulong TicksToEvent => Running && (Block.Peek("DIER") & Update) != 0 && (Block.Peek("CR1") & NoUpdate) == 0 ? TicksToOverflow() : ulong.MaxValue;

    /// <inheritdoc/>
    public void Advance(ulong ticks)
    {
        while (ticks > 0 && Running)
        {
            ulong due = TicksToOverflow();
            if (ticks < due)
            {
                ulong total = _prescaled + ticks;
                _counter = (_counter + total / (_prescaler + 1)) & _max;
                _prescaled = total % (_prescaler + 1);
                return;
            }
            ticks -= due;
            (_counter, _prescaled) = (0, 0);
            UpdateEvent(overflow: true);
            // Whole periods after the first change nothing more (UIF is set already, the shadows are loaded).
            ulong period = (_prescaler + 1) * (_reload + 1);
            if (Running && _reload != 0 && ticks >= period)
            {
                ticks %= period;
            }
        }
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        (_counter, _prescaled, _prescaler, _reload) = (0, 0, 0, 0);
        UpdateLine();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_counter);
        writer.Write(_prescaled);
        writer.Write(_prescaler);
        writer.Write(_reload);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        // The controller's state holds the line's level.
        (_counter, _prescaled, _prescaler, _reload) = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
    }

    // Ticks until the counter passes ARR (from above ARR it first runs round through its maximum);
    // with ARR 0 the counter is blocked (RM0090 18.3.1) and nothing is due.
    private ulong TicksToOverflow()
    {
        if (_reload == 0)
        {
            return ulong.MaxValue;
        }
        ulong steps = _counter <= _reload ? _reload - _counter + 1 : _max - _counter + 1 + _reload + 1;
        return (steps - 1) * (_prescaler + 1) + (_prescaler + 1 - _prescaled);
    }

    private void UpdateEvent(bool overflow)
    {
        ulong control = Block.Peek("CR1");
        if ((control & NoUpdate) != 0)
        {
            return;
        }
        _prescaler = Block.Peek("PSC") & 0xFFFF;
        _reload = Block.Peek("ARR") & _max;
        if (overflow || (control & UpdateOnlyOnOverflow) == 0)
        {
            Block.Poke("SR", Block.Peek("SR") | Update);
        }
        if (overflow && (control & OnePulse) != 0)
        {
            Block.Poke("CR1", control & ~Enable);
        }
        UpdateLine();
    }

    // EGR: UG restarts the count with an update event; CCxG and TG raise their flags. It reads as 0.
    private void Generate(ulong value)
    {
        Block.Poke("EGR", 0);
        if ((value & Update) != 0)
        {
            (_counter, _prescaled) = (0, 0);
            UpdateEvent(overflow: false);
        }
        ulong flags = value & (Basic ? 0 : 0x5EUL);
        if (flags != 0)
        {
            Block.Poke("SR", Block.Peek("SR") | flags);
        }
        UpdateLine();
    }

    private void UpdateLine() => _interruptLine(InterruptAsserted);

    private RegisterDefinition[] BasicRegisters() =>
    [
        Reg("CR1", 0x00, 0, Rw("CEN", 0), Rw("UDIS", 1), Rw("URS", 2), Rw("OPM", 3), Rw("ARPE", 7)),
        Reg("CR2", 0x04, 0, Rw("MMS", 4, 3)),
        Reg("DIER", 0x0C, 0, Rw("UIE", 0), Rw("UDE", 8)) with { OnWrite = (_, _) => UpdateLine() },
        Reg("SR", 0x10, 0, W0c("UIF", 0)) with { Access = FieldAccess.ReadOnly, OnWrite = (_, _) => UpdateLine() },   // reserved bits stay 0
        Reg("EGR", 0x14, 0, Wo("UG", 0)) with { OnWrite = (_, v) => Generate(v) },
        Count(),
        Reg("PSC", 0x28, 0, Rw("PSC", 0, 16)),
        AutoReload(),
    ];

    private RegisterDefinition[] GeneralRegisters() =>
    [
        Reg("CR1", 0x00, 0, Rw("CEN", 0), Rw("UDIS", 1), Rw("URS", 2), Rw("OPM", 3), Rw("DIR", 4), Rw("CMS", 5, 2), Rw("ARPE", 7), Rw("CKD", 8, 2)),
        Reg("CR2", 0x04, 0, Rw("CCDS", 3), Rw("MMS", 4, 3), Rw("TI1S", 7)),
        Reg("SMCR", 0x08, 0, Rw("SMS", 0, 3), Rw("TS", 4, 3), Rw("MSM", 7), Rw("ETF", 8, 4), Rw("ETPS", 12, 2), Rw("ECE", 14), Rw("ETP", 15)),
        Reg("DIER", 0x0C, 0, Rw("UIE", 0), Rw("CC1IE", 1), Rw("CC2IE", 2), Rw("CC3IE", 3), Rw("CC4IE", 4), Rw("TIE", 6),
            Rw("UDE", 8), Rw("CC1DE", 9), Rw("CC2DE", 10), Rw("CC3DE", 11), Rw("CC4DE", 12), Rw("TDE", 14)) with { OnWrite = (_, _) => UpdateLine() },
        Reg("SR", 0x10, 0, W0c("UIF", 0), W0c("CC1IF", 1), W0c("CC2IF", 2), W0c("CC3IF", 3), W0c("CC4IF", 4), W0c("TIF", 6),
            W0c("CC1OF", 9), W0c("CC2OF", 10), W0c("CC3OF", 11), W0c("CC4OF", 12)) with { Access = FieldAccess.ReadOnly, OnWrite = (_, _) => UpdateLine() },
        Reg("EGR", 0x14, 0, Wo("UG", 0), Wo("CC1G", 1), Wo("CC2G", 2), Wo("CC3G", 3), Wo("CC4G", 4), Wo("TG", 6)) with { OnWrite = (_, v) => Generate(v) },
        Reg("CCMR1_Output", 0x18),
        new RegisterDefinition("CCMR1_Input", 0x18, 32) { AlternateOf = "CCMR1_Output" },
        Reg("CCMR2_Output", 0x1C),
        new RegisterDefinition("CCMR2_Input", 0x1C, 32) { AlternateOf = "CCMR2_Output" },
        Reg("CCER", 0x20),
        Count(),
        Reg("PSC", 0x28, 0, Rw("PSC", 0, 16)),
        AutoReload(),
        Reg("CCR1", 0x34),
        Reg("CCR2", 0x38),
        Reg("CCR3", 0x3C),
        Reg("CCR4", 0x40),
        Reg("DCR", 0x48),
        Reg("DMAR", 0x4C),
    ];

    // CNT is the model's counter; writing it moves the count on from there.
    private RegisterDefinition Count() =>
        Reg("CNT", 0x24) with { OnRead = _ => _counter, OnWrite = (_, v) => _counter = v & _max };

    private RegisterDefinition AutoReload() =>
        Reg("ARR", 0x2C) with
        {
            OnWrite = (_, v) =>
            {
                Block.Poke("ARR", v & _max);
                if ((Block.Peek("CR1") & Preload) == 0)
                {
                    _reload = v & _max;
                }
            },
        };
}
