using MemGate.Mmio;
using static MemGate.Peripherals.Stm32.Stm32Registers;

namespace MemGate.Peripherals.Stm32;

/// <summary>
/// An STM32 GPIO port of 16 pins (RM0008 section 9.2 for F1: CRL, CRH, IDR, ODR, BSRR, BRR, LCKR; RM0090
/// section 8.4 for F4: MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH; names as ST's SVD
/// files). BSRR sets and resets ODR bits (set wins), IDR reads the pins: outputs at their ODR level, inputs
/// at the level the host drives (<see cref="SetInput"/>) or, never driven, their pull-up or pull-down.
/// LCKR keeps what is written (the lock sequence reads back LCKK) but locks nothing.
/// </summary>
public sealed class Stm32Gpio : Peripheral, IGpioPort
{
    /// <summary>The registry's entry: model "stm32-gpio".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-gpio",
        "STM32 GPIO port: F1 (CRL/CRH) or F4 (MODER…AFRH) layout, BSRR/BRR, IDR from outputs and host-driven inputs (RM0008 9.2, RM0090 8.4)", 0x400,
        (settings, context) => new Stm32Gpio(settings.Name, settings.Base, Family(settings),
            settings.Choice("port", "-", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K")[0], context.Log))
    {
        Parameters =
        [
            FamilyParameter,
            new("port", "the port's letter, A to K: on F4, ports A and B reset with their debug pins configured (default: neither)"),
        ],
    };

    private readonly PeripheralBlock[] _blocks;
    private readonly bool _f1;
    private ulong _inputs;   // levels the host drives
    private ulong _driven;   // pins the host drives

    /// <summary>Port <paramref name="port"/> ('A'…'K', or another character for none) of <paramref name="family"/> at <paramref name="baseAddress"/>.</summary>
    public Stm32Gpio(string name, ulong baseAddress, Stm32Family family, char port = '-', Action<string>? log = null) : base(name)
    {
        Family = family;
        _f1 = family == Stm32Family.F1;
        Block = Stm32Registers.Block(name, baseAddress, _f1 ? F1() : F4(port), log);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>The register layout it follows.</summary>
    public Stm32Family Family { get; }

    /// <summary>The port's registers.</summary>
    public RegisterBlock Block { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public int PinCount => 16;

    /// <inheritdoc/>
    public ulong Levels
    {
        get
        {
            ulong outputs = Outputs;
            ulong undriven = Pulls();
            return (Block.Peek("ODR") & outputs) | (((_inputs & _driven) | (undriven & ~_driven)) & ~outputs & 0xFFFF);
        }
    }

    /// <summary>Pins configured as general-purpose outputs (F1: MODE not 00 and CNF 0x; F4: MODER 01), one bit per pin.</summary>
    public ulong Outputs
    {
        get
        {
            ulong outputs = 0;
            for (int pin = 0; pin < 16; pin++)
            {
                ulong mode = _f1 ? (Block.Peek(pin < 8 ? "CRL" : "CRH") >> (4 * (pin % 8))) & 0xF : (Block.Peek("MODER") >> (2 * pin)) & 3;
                bool output = _f1 ? (mode & 3) != 0 && (mode & 8) == 0 : mode == 1;
                outputs |= output ? 1UL << pin : 0;
            }
            return outputs;
        }
    }

    /// <inheritdoc/>
    public void SetInput(int pin, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pin, 16);
        _driven |= 1UL << pin;
        _inputs = level ? _inputs | (1UL << pin) : _inputs & ~(1UL << pin);
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        (_inputs, _driven) = (0, 0);
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_inputs);
        writer.Write(_driven);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        (_inputs, _driven) = (reader.ReadUInt64(), reader.ReadUInt64());
    }

    private RegisterDefinition[] F1() =>
    [
        Reg("CRL", 0x00, 0x4444_4444, PinFields(8, 0, p => [Rw($"MODE{p}", 4 * p, 2), Rw($"CNF{p}", 4 * p + 2, 2)])),
        Reg("CRH", 0x04, 0x4444_4444, PinFields(8, 8, p => [Rw($"MODE{p}", 4 * (p - 8), 2), Rw($"CNF{p}", 4 * (p - 8) + 2, 2)])),
        Reg("IDR", 0x08, 0, PinFields(16, 0, p => [Ro($"IDR{p}", p)])) with { OnRead = _ => Levels },
        Reg("ODR", 0x0C, 0, PinFields(16, 0, p => [Rw($"ODR{p}", p)])),
        SetReset(0x10),
        Reg("BRR", 0x14, 0, PinFields(16, 0, p => [Wo($"BR{p}", p)])) with { OnWrite = (_, v) => { Drive(0, v & 0xFFFF); Block.Poke("BRR", 0); } },
        Lock(0x18),
    ];

    private RegisterDefinition[] F4(char port) =>
    [
        Reg("MODER", 0x00, port switch { 'A' => 0xA800_0000, 'B' => 0x0000_0280, _ => 0 }, PinFields(16, 0, p => [Rw($"MODER{p}", 2 * p, 2)])),
        Reg("OTYPER", 0x04, 0, PinFields(16, 0, p => [Rw($"OT{p}", p)])),
        Reg("OSPEEDR", 0x08, port == 'B' ? 0x0000_00C0UL : 0, PinFields(16, 0, p => [Rw($"OSPEEDR{p}", 2 * p, 2)])),
        Reg("PUPDR", 0x0C, port switch { 'A' => 0x6400_0000, 'B' => 0x0000_0100, _ => 0 }, PinFields(16, 0, p => [Rw($"PUPDR{p}", 2 * p, 2)])),
        Reg("IDR", 0x10, 0, PinFields(16, 0, p => [Ro($"IDR{p}", p)])) with { OnRead = _ => Levels },
        Reg("ODR", 0x14, 0, PinFields(16, 0, p => [Rw($"ODR{p}", p)])),
        SetReset(0x18),
        Lock(0x1C),
        Reg("AFRL", 0x20, 0, PinFields(8, 0, p => [Rw($"AFRL{p}", 4 * p, 4)])),
        Reg("AFRH", 0x24, 0, PinFields(8, 8, p => [Rw($"AFRH{p}", 4 * (p - 8), 4)])),
    ];

    // BSRR: bits 0-15 set ODR bits, 16-31 reset them, set wins; it reads as 0. A half-word store to
    // either half (as old drivers do) writes only those lanes, which is all it should touch.
    private RegisterDefinition SetReset(ulong offset) =>
        Reg("BSRR", offset, 0, PinFields(16, 0, p => [Wo($"BS{p}", p), Wo($"BR{p}", 16 + p)]))
        with { OnWrite = (_, v) => { Drive(v & 0xFFFF, v >> 16); Block.Poke("BSRR", 0); } };

    private static RegisterDefinition Lock(ulong offset) => Reg("LCKR", offset, 0, [.. PinFields(16, 0, p => [Rw($"LCK{p}", p)]), Rw("LCKK", 16)]);

    private void Drive(ulong set, ulong reset) => Block.Poke("ODR", (Block.Peek("ODR") & ~reset) | set);

    // Levels of inputs nobody drives: pulled up (F4 PUPDR 01; F1 CNF 10 with the ODR bit set) or else low.
    private ulong Pulls()
    {
        ulong up = 0;
        for (int pin = 0; pin < 16; pin++)
        {
            bool pulledUp = _f1
                ? ((Block.Peek(pin < 8 ? "CRL" : "CRH") >> (4 * (pin % 8))) & 0xF) == 0x8 && ((Block.Peek("ODR") >> pin) & 1) != 0
                : ((Block.Peek("PUPDR") >> (2 * pin)) & 3) == 1;
            up |= pulledUp ? 1UL << pin : 0;
        }
        return up;
    }

    private static RegisterField[] PinFields(int count, int first, Func<int, RegisterField[]> fields) =>
        [.. Enumerable.Range(first, count).SelectMany(fields)];
}
