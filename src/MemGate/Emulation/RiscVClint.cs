using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>
/// The core-local interruptor of QEMU's RISC-V <c>virt</c> board for hart 0 (SiFive CLINT layout):
/// MSIP at +0x0, MTIMECMP at +0x4000, MTIME at +0xBFF8. MTIME counts executed instructions, so timer
/// interrupts come at exact, repeatable points of a run.
/// </summary>
public sealed class RiscVClint
{
    private ulong _time;
    private ulong _timeOffset;
    private ulong _compare = ulong.MaxValue;
    private bool _softwarePending;

    /// <summary>A CLINT at <paramref name="baseAddress"/> (0x02000000 on virt).</summary>
    public RiscVClint(ulong baseAddress = 0x0200_0000)
    {
        Block = new RegisterBlock("CLINT", 0x1_0000,
        [
            new RegisterDefinition("MSIP", 0x0000, 32) { OnWrite = (_, v) => _softwarePending = (v & 1) != 0, OnRead = _ => _softwarePending ? 1UL : 0 },
            new RegisterDefinition("MTIMECMP", 0x4000, 64) { ResetValue = ulong.MaxValue, OnWrite = (_, v) => _compare = v, OnRead = _ => _compare },
            new RegisterDefinition("MTIME", 0xBFF8, 64) { OnWrite = (_, v) => _timeOffset = v - _time, OnRead = _ => Time },
        ], baseAddress: baseAddress);
    }

    /// <summary>The registers, for the CLINT's region.</summary>
    public RegisterBlock Block { get; }

    /// <summary>MTIME now.</summary>
    public ulong Time => _time + _timeOffset;

    /// <summary>The machine timer interrupt is pending (MTIME ≥ MTIMECMP).</summary>
    public bool TimerPending => Time >= _compare;

    /// <summary>The machine software interrupt is pending (MSIP).</summary>
    public bool SoftwarePending => _softwarePending;

    /// <summary>Ticks until MTIME reaches MTIMECMP (0 when the timer interrupt is pending, <see cref="ulong.MaxValue"/> when no compare is armed).</summary>
    public ulong TicksToCompare => _compare == ulong.MaxValue ? ulong.MaxValue : Time >= _compare ? 0 : _compare - Time;

    /// <summary>Counts <paramref name="ticks"/> executed instructions.</summary>
    public void Advance(ulong ticks) => _time += ticks;

    /// <summary>Lets MTIME run on to MTIMECMP (a CPU waiting for an interrupt); false when no compare is armed.</summary>
    public bool AdvanceToCompare()
    {
        if (_compare == ulong.MaxValue)
        {
            return false;
        }
        if (Time < _compare)
        {
            _time += _compare - Time;
        }
        return true;
    }

    /// <summary>The CLINT's state, for a machine snapshot, and back.</summary>
    internal (ulong Time, ulong Offset, ulong Compare, bool Software) State
    {
        get => (_time, _timeOffset, _compare, _softwarePending);
        set => (_time, _timeOffset, _compare, _softwarePending) = value;
    }

    /// <summary>Back to reset: MTIME 0, MTIMECMP all ones, MSIP clear.</summary>
    public void Reset() => (_time, _timeOffset, _compare, _softwarePending) = (0, 0, ulong.MaxValue, false);
}
