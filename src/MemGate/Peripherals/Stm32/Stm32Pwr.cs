using MemGate.Mmio;
using static MemGate.Peripherals.Stm32.Stm32Registers;

namespace MemGate.Peripherals.Stm32;

/// <summary>
/// The STM32 power controller (RM0008 section 5.4, RM0090 section 5.4; names as ST's SVD files): CR and CSR.
/// The regulator is always ready (CSR.VOSRDY set on F4), and the ready flags start-up code waits on follow
/// their requests: BRR follows BRE, and on F42x/43x ODRDY follows CR.ODEN and ODSWRDY follows CR.ODSWEN
/// (HAL_PWREx_EnableOverDrive). Low-power modes are not modelled.
/// </summary>
public sealed class Stm32Pwr : Peripheral
{
    /// <summary>The registry's entry: model "stm32-pwr".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-pwr",
        "STM32 PWR: CR/CSR, regulator ready, over-drive ready flags follow ODEN/ODSWEN (RM0008 5.4, RM0090 5.4)", 0x400,
        (settings, context) => new Stm32Pwr(settings.Name, settings.Base, Family(settings), context.Log))
    {
        Parameters = [FamilyParameter],
    };

    private const int VoltageScalingReady = 14;   // CSR.VOSRDY
    private readonly PeripheralBlock[] _blocks;

    /// <summary>A PWR of <paramref name="family"/> at <paramref name="baseAddress"/>.</summary>
    public Stm32Pwr(string name, ulong baseAddress, Stm32Family family, Action<string>? log = null) : base(name)
    {
        Family = family;
        Block = Stm32Registers.Block(name, baseAddress, family switch
        {
            Stm32Family.F1 =>
            [
                Reg("CR", 0x00, 0, Rw("LPDS", 0), Rw("PDDS", 1), Clears("CWUF", 2), Clears("CSBF", 3), Rw("PVDE", 4), Rw("PLS", 5, 3), Rw("DBP", 8)),
                Reg("CSR", 0x04, 0, Ro("WUF", 0), Ro("SBF", 1), Ro("PVDO", 2), Rw("EWUP", 8)),
            ],
            // F405/407: CR.VOS (bit 14) resets to 1 (RM0090 5.4.1); ST's F407 SVD leaves the field out.
            Stm32Family.F4 =>
            [
                Reg("CR", 0x00, 0x0000_4000, Rw("LPDS", 0), Rw("PDDS", 1), Clears("CWUF", 2), Clears("CSBF", 3), Rw("PVDE", 4), Rw("PLS", 5, 3), Rw("DBP", 8), Rw("FPDS", 9)),
                Reg("CSR", 0x04, 1UL << VoltageScalingReady,
                    Ro("WUF", 0), Ro("SBF", 1), Ro("PVDO", 2), Ro("BRR", 3), Rw("EWUP", 8), Rw("BRE", 9), Ro("VOSRDY", VoltageScalingReady))
                    with { OnRead = v => Follow(v, (9, 3)) },
            ],
            _ =>
            [
                Reg("CR", 0x00, 0x0000_C000, Rw("LPDS", 0), Rw("PDDS", 1), Clears("CWUF", 2), Clears("CSBF", 3), Rw("PVDE", 4), Rw("PLS", 5, 3), Rw("DBP", 8),
                    Rw("FPDS", 9), Rw("LPLVDS", 10), Rw("MRLVDS", 11), Rw("VOS", 14, 2), Rw("ODEN", 16), Rw("ODSWEN", 17), Rw("UDEN", 18, 2)),
                Reg("CSR", 0x04, 1UL << VoltageScalingReady,
                    Ro("WUF", 0), Ro("SBF", 1), Ro("PVDO", 2), Ro("BRR", 3), Rw("EWUP", 8), Rw("BRE", 9), Ro("VOSRDY", VoltageScalingReady),
                    Ro("ODRDY", 16), Ro("ODSWRDY", 17), W1c("UDRDY", 18, 2))
                    with { OnRead = OverDriveReady },
            ],
        }, log);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>The register layout it follows.</summary>
    public Stm32Family Family { get; }

    /// <summary>The PWR's registers.</summary>
    public RegisterBlock Block { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    // ODRDY and ODSWRDY show CR.ODEN and CR.ODSWEN (the same bit positions); BRR shows BRE.
    private ulong OverDriveReady(ulong value) => Follow((value & ~(3UL << 16)) | (Block.Peek("CR") & (3UL << 16)), (9, 3));

    // CWUF and CSBF clear a CSR flag and always read as 0; no flag is ever raised here (no standby).
    private static RegisterField Clears(string name, int bit) => new(name, bit, 1) { WriteAction = WriteAction.Clear };
}
