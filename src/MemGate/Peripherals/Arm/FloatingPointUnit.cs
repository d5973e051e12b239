using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The system registers of the Cortex-M4F floating-point extension (ARMv7-M ARM B3.2.20, B3.2.22-B3.2.25):
/// CPACR at 0xE000ED88 (CP10/CP11 access), and FPCCR, FPCAR, FPDSCR, MVFR0-MVFR2 from 0xE000EF34.
/// The machine reads them to enforce access (NOCP) and to stack the extended exception frame, lazily
/// while FPCCR.LSPEN is set (<see cref="LazyStateActive"/>, FPCAR).
/// </summary>
/// <remarks>
/// Values follow QEMU 7.2's v7-M model: FPCCR resets to ASPEN | LSPEN; writes keep only the bits v7-M
/// defines; the machine also sets UFRDY (bit 10) at a lazy entry, as QEMU does.
/// </remarks>
public sealed class FloatingPointUnit
{
    /// <summary>FPCCR.LSPACT: lazy state preservation is pending (space reserved at FPCAR).</summary>
    public const ulong LazyStateActiveBit = 1UL << 0;

    /// <summary>FPCCR.LSPEN: exception entry reserves the FP frame and preserves it at the first FP instruction.</summary>
    public const ulong LazyStackingBit = 1UL << 30;

    /// <summary>FPCCR.ASPEN: an FP instruction sets CONTROL.FPCA.</summary>
    public const ulong AutomaticStateBit = 1UL << 31;

    private const ulong FpccrWritable = 0xC000_017B;   // LSPACT USER THREAD HFRDY MMRDY BFRDY MONRDY LSPEN ASPEN
    private const ulong CpacrWritable = 0x00F0_0000;   // CP10, CP11
    private const ulong FpdscrWritable = 0x07C0_0000;  // AHP DN FZ RMode

    /// <summary>Registers reset as after a reset of the CPU.</summary>
    public FloatingPointUnit()
    {
        CpacrBlock = new RegisterBlock("CPACR", 0x4,
        [
            new RegisterDefinition("CPACR", 0x0, 32) { OnWrite = (_, v) => Cpacr = v & CpacrWritable, OnRead = _ => Cpacr },
        ], baseAddress: 0xE000_ED88) { QuietReads = true };
        Block = new RegisterBlock("FPU", 0x18,
        [
            new RegisterDefinition("FPCCR", 0x00, 32) { OnWrite = (_, v) => Fpccr = v & FpccrWritable, OnRead = _ => Fpccr },
            new RegisterDefinition("FPCAR", 0x04, 32) { OnWrite = (_, v) => Fpcar = v & 0xFFFF_FFF8, OnRead = _ => Fpcar },
            new RegisterDefinition("FPDSCR", 0x08, 32) { OnWrite = (_, v) => Fpdscr = v & FpdscrWritable, OnRead = _ => Fpdscr },
            // Single precision, square root, divide, round to nearest only in hardware (Cortex-M4 TRM 7.3).
            new RegisterDefinition("MVFR0", 0x0C, 32) { Access = FieldAccess.ReadOnly, ResetValue = 0x1011_0021 },
            new RegisterDefinition("MVFR1", 0x10, 32) { Access = FieldAccess.ReadOnly, ResetValue = 0x1100_0011 },
            new RegisterDefinition("MVFR2", 0x14, 32) { Access = FieldAccess.ReadOnly },
        ], baseAddress: 0xE000_EF34) { QuietReads = true };   // a debugger reads FPCCR to unwind an exception frame
        Reset();
    }

    /// <summary>CPACR, for 0xE000ED88.</summary>
    public RegisterBlock CpacrBlock { get; }

    /// <summary>FPCCR … MVFR2, for 0xE000EF34.</summary>
    public RegisterBlock Block { get; }

    /// <summary>The coprocessor access control register (CP10 in bits 20-21 decides for both, B3.2.20).</summary>
    public ulong Cpacr { get; private set; }

    /// <summary>The floating-point context control register.</summary>
    public ulong Fpccr { get; internal set; }

    /// <summary>Where the reserved S0-S15/FPSCR space of the frame awaiting lazy preservation is.</summary>
    public ulong Fpcar { get; internal set; }

    /// <summary>The default FPSCR of a new floating-point context.</summary>
    public ulong Fpdscr { get; private set; }

    /// <summary>Whether lazy state preservation is pending (FPCCR.LSPACT).</summary>
    public bool LazyStateActive => (Fpccr & LazyStateActiveBit) != 0;

    /// <summary>Whether code at this privilege may run FP instructions (CP10: 0b01 privileged only, 0b11 full, else none).</summary>
    public bool Allows(bool privileged) => ((Cpacr >> 20) & 3) switch
    {
        3 => true,
        1 => privileged,
        _ => false,
    };

    /// <summary>Whether the machine must look at FP instructions before they run: some access traps, or lazy preservation is pending.</summary>
    internal bool WatchesInstructions => ((Cpacr >> 20) & 3) != 3 || LazyStateActive;

    /// <summary>Back to the reset values: no access, ASPEN and LSPEN set.</summary>
    public void Reset()
    {
        Cpacr = 0;
        Fpccr = AutomaticStateBit | LazyStackingBit;
        Fpcar = 0;
        Fpdscr = 0;
    }

    /// <summary>The registers, for a machine snapshot.</summary>
    internal (ulong Cpacr, ulong Fpccr, ulong Fpcar, ulong Fpdscr) State
    {
        get => (Cpacr, Fpccr, Fpcar, Fpdscr);
        set => (Cpacr, Fpccr, Fpcar, Fpdscr) = value;
    }
}
