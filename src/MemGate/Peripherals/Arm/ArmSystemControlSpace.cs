using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The ARMv7-M System Control Space at 0xE000E000 (ARMv7-M ARM B3.2): the NVIC and SCB
/// (<see cref="Arm.Nvic"/>), SysTick (<see cref="SysTickTimer"/>) and, on a Cortex-M4F, the
/// floating-point extension's CPACR and FPCCR… registers (<see cref="FloatingPointUnit"/>). It is the
/// device's interrupt controller: a peripheral's <c>irq</c> is its external interrupt number (IRQn).
/// </summary>
public sealed class ArmSystemControlSpace : Peripheral, IInterruptController, IClockedPeripheral
{
    /// <summary>Where the architecture puts it.</summary>
    public const ulong Address = 0xE000_E000;

    /// <summary>The registry's entry: model "armv7m-scs".</summary>
    public static PeripheralModelInfo Info { get; } = new("armv7m-scs",
        "ARMv7-M System Control Space: NVIC, SCB, SysTick, and the FPU registers on a Cortex-M4F (ARMv7-M ARM B3.2-B3.4)", 0x1000, Create)
    {
        Parameters =
        [
            new("irq_lines", "external interrupt lines the NVIC implements, 1-240 (default 240; STM32F103: 60, F407: 82, F429: 91)"),
            new("priority_bits", "implemented priority bits, 2-8 (default 8; STM32: 4)"),
            new("fpu", "whether the FP extension's registers are there (default: true on cortex-m4)"),
            new("cpuid", "what the SCB's CPUID reads (default: 0x411FC231 on cortex-m3, the STM32F1's r1p1; 0x410FC241 on cortex-m4, the STM32F4's r0p1)"),
            new("nesting", "whether an exception may preempt a running handler (default true; false: none does until it returns, as in Fuzzware)"),
            new("systick", "whether SysTick counts (default true; false: its registers only hold what is written, as Fuzzware's use_systick: false)"),
            new("systick_clock", "what SysTick counts: instructions (default, as processor clocks) or blocks (basic blocks, as Fuzzware's)"),
            new("systick_reload_min", "the smallest reload value an RVR write sets (smaller ones are raised to it; Fuzzware: 500)"),
            new("systick_reload_max", "the largest reload value an RVR write sets (larger ones are lowered to it; Fuzzware: 1500)"),
            new("systick_reload", "the reload value every RVR write sets, whatever is written (Fuzzware's systick reload_val)"),
            new("systick_read_sets_countflag", "whether reading CSR sets COUNTFLAG for the next read instead of clearing it (default false; Fuzzware: true)"),
        ],
        Architectural = ("SCS", Address),
        IsInterruptController = true,
    };

    private readonly PeripheralBlock[] _blocks;

    private ArmSystemControlSpace(string name, Nvic nvic, SysTickTimer sysTick, FloatingPointUnit? fpu) : base(name)
    {
        Nvic = nvic;
        SysTick = sysTick;
        Fpu = fpu;
        var blocks = new List<PeripheralBlock>
        {
            new("ICTR", Address, InterruptControllerType.Size, new InterruptControllerType(nvic.ExternalInterrupts)),
            new("SysTick", 0xE000_E010, SysTick.Block.Size, SysTick.Block),
            new("NVIC", 0xE000_E100, nvic.NvicBlock.Size, nvic.NvicBlock),
            new("SCB", 0xE000_ED00, nvic.ScbBlock.Size, nvic.ScbBlock),
            new("STIR", 0xE000_EF00, nvic.StirBlock.Size, nvic.StirBlock),
        };
        if (fpu is not null)
        {
            blocks.Add(new("CPACR", 0xE000_ED88, fpu.CpacrBlock.Size, fpu.CpacrBlock));
            blocks.Add(new("FPU", 0xE000_EF34, fpu.Block.Size, fpu.Block));
        }
        _blocks = [.. blocks];
    }

    /// <summary>The NVIC and SCB.</summary>
    public Nvic Nvic { get; }

    /// <summary>The SysTick timer.</summary>
    public SysTickTimer SysTick { get; }

    /// <summary>The floating-point extension's registers, on a Cortex-M4F.</summary>
    public FloatingPointUnit? Fpu { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public int LineCount => Nvic.ExternalInterrupts;

    /// <inheritdoc/>
    public int FirstLine => 0;

    /// <inheritdoc/>
    public void SetLevel(int line, bool asserted) => Nvic.SetLevel(line, asserted);

    /// <inheritdoc/>
    public void Advance(ulong ticks) => SysTick.Advance(ticks);

    /// <inheritdoc/>
    public ulong TicksToEvent => SysTick.ClocksToInterrupt;

    /// <inheritdoc/>
    public override void Reset()
    {
        Nvic.Reset();
        SysTick.Reset();
        Fpu?.Reset();
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        Nvic.SaveState(writer);
        var (csr, reload, countdown) = SysTick.State;
        writer.Write(csr);
        writer.Write(reload);
        writer.Write(countdown);
        if (Fpu is not null)
        {
            var (cpacr, fpccr, fpcar, fpdscr) = Fpu.State;
            writer.Write(cpacr);
            writer.Write(fpccr);
            writer.Write(fpcar);
            writer.Write(fpdscr);
        }
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        Nvic.RestoreState(reader);
        SysTick.State = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
        if (Fpu is not null)
        {
            Fpu.State = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
        }
    }

    private static ArmSystemControlSpace Create(PeripheralSettings settings, PeripheralContext context)
    {
        if (settings.Base != Address)
        {
            settings.Error("", $"the System Control Space is at 0x{Address:X8} on every ARMv7-M part, not 0x{settings.Base:X}");
        }
        int lines = (int)settings.Number("irq_lines", 240, 1, 240);
        int priorityBits = (int)settings.Number("priority_bits", 8, 2, 8);
        bool cortexM4 = context.Device.Cpu.Equals("cortex-m4", StringComparison.OrdinalIgnoreCase);
        bool fpu = settings.Flag("fpu", cortexM4);
        if (fpu && !cortexM4)
        {
            settings.Error("fpu", $"the FP extension exists on cortex-m4 parts only; this device's CPU is {context.Device.Cpu}");
            fpu = false;
        }
        ulong cpuid = settings.Number("cpuid", cortexM4 ? 0x410F_C241UL : 0x411F_C231UL, 0, 0xFFFF_FFFF);
        var nvic = new Nvic(lines, priorityBits, (uint)cpuid) { Nesting = settings.Flag("nesting", true) };
        bool blocks = settings.Choice("systick_clock", "instructions", "instructions", "blocks") == "blocks";
        ulong? Reload(string key) => settings.Entry.Parameters.ContainsKey(key) ? settings.Number(key, 0, 1, 0xFF_FFFF) : null;
        var sysTick = new SysTickTimer(nvic)
        {
            Counts = settings.Flag("systick", true),
            CountsBlocks = blocks,
            ReloadMinimum = Reload("systick_reload_min"),
            ReloadMaximum = Reload("systick_reload_max"),
            FixedReload = Reload("systick_reload"),
            ReadSetsCountFlag = settings.Flag("systick_read_sets_countflag", false),
        };
        return new ArmSystemControlSpace(settings.Name, nvic, sysTick, fpu ? new FloatingPointUnit() : null);
    }
}
