using MemGate.Peripherals.Arm;

namespace MemGate.Emulation;

/// <summary>
/// The Armv8-A generic timer of one CPU: the system counter (CNTPCT_EL0 and CNTVCT_EL0, CNTVOFF 0) and
/// the EL1 physical and virtual timers (CNTP_/CNTV_ CTL, CVAL, TVAL), whose outputs drive GIC PPIs 30
/// and 27 as on QEMU's <c>virt</c>. The counter counts executed instructions, so timer interrupts come at
/// exact, repeatable points of a run (as the RISC-V CLINT's MTIME does); CNTFRQ_EL0 stays the CPU's own.
/// </summary>
public sealed class GenericTimer
{
    /// <summary>The PPI of the EL1 physical timer on virt.</summary>
    public const int PhysicalPpi = 30;

    /// <summary>The PPI of the virtual timer on virt.</summary>
    public const int VirtualPpi = 27;

    private const ulong Enable = 1, Mask = 2, Status = 4;

    private readonly Gicv2 _gic;
    private ulong _count;
    private ulong _physicalControl, _physicalCompare, _virtualControl, _virtualCompare;

    /// <summary>A timer whose outputs go to <paramref name="gic"/>.</summary>
    public GenericTimer(Gicv2 gic) => _gic = gic;

    /// <summary>The system counter now.</summary>
    public ulong Count => _count;

    /// <summary>Counts <paramref name="ticks"/> executed instructions and updates the timer outputs.</summary>
    public void Advance(ulong ticks)
    {
        _count += ticks;
        Update();
    }

    /// <summary>
    /// Reads a timer register by its system register encoding (op1 3, CRn 14); false when the encoding is
    /// not one of the counter or EL1 timer registers this model serves.
    /// </summary>
    public bool TryRead(uint crm, uint op2, out ulong value)
    {
        switch ((crm, op2))
        {
            case (0, 1) or (0, 2): value = _count; return true;                                           // CNTPCT_EL0, CNTVCT_EL0
            case (2, 0): value = (uint)(_physicalCompare - _count); return true;                            // CNTP_TVAL_EL0
            case (2, 1): value = Control(_physicalControl, _physicalCompare); return true;                  // CNTP_CTL_EL0
            case (2, 2): value = _physicalCompare; return true;                                             // CNTP_CVAL_EL0
            case (3, 0): value = (uint)(_virtualCompare - _count); return true;                             // CNTV_TVAL_EL0
            case (3, 1): value = Control(_virtualControl, _virtualCompare); return true;                    // CNTV_CTL_EL0
            case (3, 2): value = _virtualCompare; return true;                                              // CNTV_CVAL_EL0
            default: value = 0; return false;
        }
    }

    /// <summary>Writes a timer register (see <see cref="TryRead"/>); false when the encoding is not served here.</summary>
    public bool TryWrite(uint crm, uint op2, ulong value)
    {
        // TVAL is a signed 32-bit distance from now (D11.2.4).
        ulong fromNow = _count + (ulong)(long)(int)(uint)value;
        switch ((crm, op2))
        {
            case (2, 0): _physicalCompare = fromNow; break;
            case (2, 1): _physicalControl = value & (Enable | Mask); break;
            case (2, 2): _physicalCompare = value; break;
            case (3, 0): _virtualCompare = fromNow; break;
            case (3, 1): _virtualControl = value & (Enable | Mask); break;
            case (3, 2): _virtualCompare = value; break;
            default: return false;
        }
        Update();
        return true;
    }

    /// <summary>Ticks until the next compare value ahead of the counter of an enabled, unmasked timer (<see cref="ulong.MaxValue"/> when none is armed).</summary>
    public ulong TicksToEvent
    {
        get
        {
            // A timer already past its compare value has raised what it can: the next event is a later compare.
            ulong next = ulong.MaxValue;
            if ((_physicalControl & (Enable | Mask)) == Enable && _physicalCompare > _count)
            {
                next = Math.Min(next, _physicalCompare);
            }
            if ((_virtualControl & (Enable | Mask)) == Enable && _virtualCompare > _count)
            {
                next = Math.Min(next, _virtualCompare);
            }
            return next == ulong.MaxValue ? next : next - _count;
        }
    }

    /// <summary>Back to reset: counter 0, both timers disabled.</summary>
    public void Reset()
    {
        (_count, _physicalControl, _physicalCompare, _virtualControl, _virtualCompare) = (0, 0, 0, 0, 0);
        Update();
    }

    /// <summary>The timer's state, for a machine snapshot, and back.</summary>
    internal (ulong Count, ulong PhysicalControl, ulong PhysicalCompare, ulong VirtualControl, ulong VirtualCompare) State
    {
        get => (_count, _physicalControl, _physicalCompare, _virtualControl, _virtualCompare);
        set => (_count, _physicalControl, _physicalCompare, _virtualControl, _virtualCompare) = value;
    }

    // ISTATUS reads 1 only while the timer is enabled and the counter has reached the compare value.
    private ulong Control(ulong control, ulong compare) => control | ((control & Enable) != 0 && _count >= compare ? Status : 0);

    private void Update()
    {
        _gic.SetLevel(PhysicalPpi, (Control(_physicalControl, _physicalCompare) & (Enable | Mask | Status)) == (Enable | Status));
        _gic.SetLevel(VirtualPpi, (Control(_virtualControl, _virtualCompare) & (Enable | Mask | Status)) == (Enable | Status));
    }
}
