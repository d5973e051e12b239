using MemGate.Mmio;
using static MemGate.Peripherals.Stm32.Stm32Registers;

namespace MemGate.Peripherals.Stm32;

/// <summary>
/// The STM32 reset and clock control (RM0008 section 7.3 for F1, RM0090 section 6.3 for F4; register and
/// field names as ST's SVD files). Every oscillator and PLL is ready as soon as it is switched on (HSIRDY,
/// HSERDY, PLLRDY, PLLI2SRDY, PLLSAIRDY in CR, LSERDY in BDCR, LSIRDY in CSR follow their enable bits) and
/// CFGR.SWS follows SW, so SystemInit and SystemClock_Config run through. Clocks are not modelled beyond
/// that: enable and reset bits are stored, every peripheral runs whatever they say.
/// </summary>
public sealed class Stm32Rcc : Peripheral
{
    /// <summary>The registry's entry: model "stm32-rcc".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-rcc",
        "STM32 RCC: ready flags follow their enable bits, SWS follows SW; F1 or F4 layout (RM0008 7.3, RM0090 6.3)", 0x400,
        (settings, context) => new Stm32Rcc(settings.Name, settings.Base, Family(settings), context.Log))
    {
        Parameters = [FamilyParameter],
    };

    private readonly PeripheralBlock[] _blocks;

    /// <summary>An RCC of <paramref name="family"/> at <paramref name="baseAddress"/>; <paramref name="log"/> hears accesses to reserved offsets.</summary>
    public Stm32Rcc(string name, ulong baseAddress, Stm32Family family, Action<string>? log = null) : base(name)
    {
        Family = family;
        Block = Stm32Registers.Block(name, baseAddress, family == Stm32Family.F1 ? F1() : F4(family == Stm32Family.F429), log);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>The register layout it follows.</summary>
    public Stm32Family Family { get; }

    /// <summary>The RCC's registers.</summary>
    public RegisterBlock Block { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    private RegisterDefinition[] F1() =>
    [
        Reg("CR", 0x00, 0x0000_0083,
            Rw("HSION", 0), Ro("HSIRDY", 1), Rw("HSITRIM", 3, 5), Ro("HSICAL", 8, 8), Rw("HSEON", 16), Ro("HSERDY", 17), Rw("HSEBYP", 18),
            Rw("CSSON", 19), Rw("PLLON", 24), Ro("PLLRDY", 25)) with { OnRead = v => Follow(v, (0, 1), (16, 17), (24, 25)) },
        Reg("CFGR", 0x04, 0,
            Rw("SW", 0, 2), Ro("SWS", 2, 2), Rw("HPRE", 4, 4), Rw("PPRE1", 8, 3), Rw("PPRE2", 11, 3), Rw("ADCPRE", 14, 2), Rw("PLLSRC", 16),
            Rw("PLLXTPRE", 17), Rw("PLLMUL", 18, 4), Rw("OTGFSPRE", 22), Rw("MCO", 24, 3)) with { OnRead = SwitchStatus },
        Reg("CIR", 0x08, 0,
            Ro("LSIRDYF", 0), Ro("LSERDYF", 1), Ro("HSIRDYF", 2), Ro("HSERDYF", 3), Ro("PLLRDYF", 4), Ro("CSSF", 7),
            Rw("LSIRDYIE", 8), Rw("LSERDYIE", 9), Rw("HSIRDYIE", 10), Rw("HSERDYIE", 11), Rw("PLLRDYIE", 12),
            Wo("LSIRDYC", 16), Wo("LSERDYC", 17), Wo("HSIRDYC", 18), Wo("HSERDYC", 19), Wo("PLLRDYC", 20), Wo("CSSC", 23)),
        Reg("APB2RSTR", 0x0C),
        Reg("APB1RSTR", 0x10),
        Reg("AHBENR", 0x14, 0x0000_0014),   // SRAMEN and FLITFEN
        Reg("APB2ENR", 0x18),
        Reg("APB1ENR", 0x1C),
        Reg("BDCR", 0x20, 0,
            Rw("LSEON", 0), Ro("LSERDY", 1), Rw("LSEBYP", 2), Rw("RTCSEL", 8, 2), Rw("RTCEN", 15), Rw("BDRST", 16)) with { OnRead = v => Follow(v, (0, 1)) },
        ResetFlags(0x24, 0x0C00_0000, Rw("PINRSTF", 26), Rw("PORRSTF", 27), Rw("SFTRSTF", 28), Rw("IWDGRSTF", 29), Rw("WWDGRSTF", 30), Rw("LPWRRSTF", 31)),
    ];

    private RegisterDefinition[] F4(bool f429)
    {
        var registers = new List<RegisterDefinition>
        {
            // CR bits 28/29 (PLLSAION, PLLSAIRDY) exist on F42x/43x only; ST's SVD does not name them.
            Reg("CR", 0x00, 0x0000_0083,
                Rw("HSION", 0), Ro("HSIRDY", 1), Rw("HSITRIM", 3, 5), Ro("HSICAL", 8, 8), Rw("HSEON", 16), Ro("HSERDY", 17), Rw("HSEBYP", 18),
                Rw("CSSON", 19), Rw("PLLON", 24), Ro("PLLRDY", 25), Rw("PLLI2SON", 26), Ro("PLLI2SRDY", 27))
                with { OnRead = f429 ? v => Follow(v, (0, 1), (16, 17), (24, 25), (26, 27), (28, 29)) : v => Follow(v, (0, 1), (16, 17), (24, 25), (26, 27)) },
            Reg("PLLCFGR", 0x04, 0x2400_3010),
            Reg("CFGR", 0x08, 0,
                Rw("SW0", 0), Rw("SW1", 1), Ro("SWS0", 2), Ro("SWS1", 3), Rw("HPRE", 4, 4), Rw("PPRE1", 10, 3), Rw("PPRE2", 13, 3), Rw("RTCPRE", 16, 5),
                Rw("MCO1", 21, 2), Rw("I2SSRC", 23), Rw("MCO1PRE", 24, 3), Rw("MCO2PRE", 27, 3), Rw("MCO2", 30, 2)) with { OnRead = SwitchStatus },
            Reg("CIR", 0x0C, 0,
                Ro("LSIRDYF", 0), Ro("LSERDYF", 1), Ro("HSIRDYF", 2), Ro("HSERDYF", 3), Ro("PLLRDYF", 4), Ro("PLLI2SRDYF", 5), Ro("CSSF", 7),
                Rw("LSIRDYIE", 8), Rw("LSERDYIE", 9), Rw("HSIRDYIE", 10), Rw("HSERDYIE", 11), Rw("PLLRDYIE", 12), Rw("PLLI2SRDYIE", 13),
                Wo("LSIRDYC", 16), Wo("LSERDYC", 17), Wo("HSIRDYC", 18), Wo("HSERDYC", 19), Wo("PLLRDYC", 20), Wo("PLLI2SRDYC", 21), Wo("CSSC", 23)),
            Reg("AHB1RSTR", 0x10),
            Reg("AHB2RSTR", 0x14),
            Reg("AHB3RSTR", 0x18),
            Reg("APB1RSTR", 0x20),
            Reg("APB2RSTR", 0x24),
            Reg("AHB1ENR", 0x30, 0x0010_0000),   // CCMDATARAMEN
            Reg("AHB2ENR", 0x34),
            Reg("AHB3ENR", 0x38),
            Reg("APB1ENR", 0x40),
            Reg("APB2ENR", 0x44),
            Reg("AHB1LPENR", 0x50, 0x7E67_91FF),
            Reg("AHB2LPENR", 0x54, 0x0000_00F1),
            Reg("AHB3LPENR", 0x58, 0x0000_0001),
            Reg("APB1LPENR", 0x60, 0x36FE_C9FF),
            Reg("APB2LPENR", 0x64, 0x0007_5F33),
            Reg("BDCR", 0x70, 0,
                Rw("LSEON", 0), Ro("LSERDY", 1), Rw("LSEBYP", 2), Rw("RTCSEL0", 8), Rw("RTCSEL1", 9), Rw("RTCEN", 15), Rw("BDRST", 16))
                with { OnRead = v => Follow(v, (0, 1)) },
            ResetFlags(0x74, 0x0E00_0000, Rw("BORRSTF", 25), Rw("PADRSTF", 26), Rw("PORRSTF", 27), Rw("SFTRSTF", 28), Rw("WDGRSTF", 29), Rw("WWDGRSTF", 30), Rw("LPWRRSTF", 31)),
            Reg("SSCGR", 0x80),
            Reg("PLLI2SCFGR", 0x84, 0x2000_3000),
        };
        if (f429)
        {
            registers.Add(Reg("PLLSAICFGR", 0x88, 0x2400_3000));
            registers.Add(Reg("DCKCFGR", 0x8C));
        }
        return [.. registers];
    }

    // The switch is immediate: SWS reports the source SW asks for.
    private static ulong SwitchStatus(ulong value) => (value & ~0xCUL) | ((value & 3) << 2);

    // CSR: LSIRDY follows LSION; writing RMVF clears every reset flag (bits 24-31), RMVF itself included.
    private RegisterDefinition ResetFlags(ulong offset, ulong reset, params RegisterField[] flags) =>
        Reg("CSR", offset, reset, [Rw("LSION", 0), Ro("LSIRDY", 1), Rw("RMVF", 24), .. flags]) with
        {
            OnRead = v => Follow(v, (0, 1)),
            OnWrite = (_, now) =>
            {
                if ((now & (1UL << 24)) != 0)
                {
                    Block.Poke("CSR", now & 0x00FF_FFFF);
                }
            },
        };
}
