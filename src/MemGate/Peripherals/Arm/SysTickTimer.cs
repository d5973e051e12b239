using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The Cortex-M SysTick timer (ARMv7-M ARM B3.3): CSR, RVR, CVR and CALIB at 0xE000E010. It counts
/// executed instructions as processor clocks, so a run's timing is exact and repeatable; on reaching
/// zero it reloads, sets COUNTFLAG and, with TICKINT, makes the SysTick exception pending.
/// </summary>
/// <remarks>
/// Fuzzware's SysTick differs, and firmware imported from Fuzzware is tuned to it (its delays and timeouts
/// fit Fuzzware's limits): it counts basic blocks (<see cref="CountsBlocks"/>), keeps reload values within
/// 500-1500 blocks (<see cref="ReloadMinimum"/>, <see cref="ReloadMaximum"/>, or one fixed value), fires
/// after RELOAD blocks rather than RELOAD + 1, and a read of CSR sets COUNTFLAG for the next read
/// (<see cref="ReadSetsCountFlag"/>), so a loop polling it sees time pass.
/// </remarks>
public sealed class SysTickTimer
{
    private const ulong CountFlag = 1UL << 16;
    private readonly Nvic _nvic;
    private ulong _countdown;       // clocks (or blocks) left until the counter wraps
    private ulong _csr;
    private ulong _reload;
    private ulong _blocksAt;        // the block count the countdown was last brought up to (block counting)

    /// <summary>A timer that raises its exception on <paramref name="nvic"/>.</summary>
    public SysTickTimer(Nvic nvic)
    {
        _nvic = nvic;
        Block = new RegisterBlock("SysTick", 0x10,
        [
            new RegisterDefinition("CSR", 0x0, 32)
            {
                OnRead = _ =>
                {
                    Sync();
                    ulong seen = (_csr & 0x7) | (_csr & CountFlag);
                    // COUNTFLAG clears on read; Fuzzware's timer sets it instead, so that the next poll sees time pass.
                    _csr = ReadSetsCountFlag ? _csr | CountFlag : _csr & ~CountFlag;
                    return seen;
                },
                OnWrite = (_, value) =>
                {
                    Sync();
                    bool starting = (value & 1) != 0 && (_csr & 1) == 0;
                    _csr = (value & 0x7) | (_csr & CountFlag);
                    if (starting)
                    {
                        _countdown = Period;
                    }
                },
            },
            new RegisterDefinition("RVR", 0x4, 32) { OnWrite = (_, value) => _reload = Reload(value & 0xFF_FFFF), OnRead = _ => _reload },
            new RegisterDefinition("CVR", 0x8, 32)
            {
                OnWrite = (_, _) => { Sync(); _countdown = Period; _csr &= ~CountFlag; },
                OnRead = _ =>
                {
                    Sync();
                    return (_csr & 1) != 0 && _countdown > 0 ? (_countdown - (CountsBlocks ? 0UL : 1UL)) & 0xFF_FFFF : 0;
                },
            },
            new RegisterDefinition("CALIB", 0xC, 32) { Access = FieldAccess.ReadOnly, ResetValue = 1UL << 31 },   // NOREF: no reference clock
        ], baseAddress: 0xE000_E010);
    }

    /// <summary>The timer's registers, for 0xE000E010.</summary>
    public RegisterBlock Block { get; }

    /// <summary>Whether the timer counts at all (false: its registers hold what is written, it never counts or interrupts, as with Fuzzware's <c>use_systick: false</c>).</summary>
    public bool Counts { get; init; } = true;

    /// <summary>Whether it counts basic blocks (<see cref="BlockClock"/>) instead of instructions, as Fuzzware's does.</summary>
    public bool CountsBlocks { get; init; }

    /// <summary>The smallest reload value a write to RVR takes (smaller ones are raised to it); null: any.</summary>
    public ulong? ReloadMinimum { get; init; }

    /// <summary>The largest reload value a write to RVR takes (larger ones are lowered to it); null: any.</summary>
    public ulong? ReloadMaximum { get; init; }

    /// <summary>The reload value every write to RVR sets, whatever is written (Fuzzware's <c>systick: reload_val</c>); null: what is written.</summary>
    public ulong? FixedReload { get; init; }

    /// <summary>Whether a read of CSR sets COUNTFLAG (for the next read) instead of clearing it.</summary>
    public bool ReadSetsCountFlag { get; init; }

    /// <summary>With <see cref="CountsBlocks"/>: the machine's count of basic blocks entered, which the timer follows.</summary>
    public Func<ulong>? BlockClock { get; set; }

    // Fuzzware's timer fires RELOAD blocks after it starts; the architecture's counter takes RELOAD + 1 clocks.
    private ulong Period => CountsBlocks ? _reload : _reload + 1;

    private ulong Reload(ulong written)
    {
        ulong value = FixedReload ?? written;
        if (ReloadMinimum is { } min && value < min)
        {
            value = min;
        }
        if (ReloadMaximum is { } max && value > max)
        {
            value = max;
        }
        return value & 0xFF_FFFF;
    }

    /// <summary>The timer's state, for a machine snapshot, and back.</summary>
    internal (ulong Csr, ulong Reload, ulong Countdown) State
    {
        get
        {
            Sync();
            return (_csr, _reload, _countdown);
        }
        set
        {
            (_csr, _reload, _countdown) = value;
            _blocksAt = BlockClock?.Invoke() ?? 0;
        }
    }

    /// <summary>Back to the reset state: stopped, reload and counter 0.</summary>
    public void Reset()
    {
        (_csr, _reload, _countdown) = (0, 0, 0);
        _blocksAt = BlockClock?.Invoke() ?? 0;
    }

    /// <summary>Clocks until the counter wraps with its interrupt enabled (<see cref="ulong.MaxValue"/> when it will not interrupt); when it counts blocks, the blocks left (a block takes at least one instruction).</summary>
    public ulong ClocksToInterrupt => Counts && (_csr & 3) == 3 && _reload != 0 ? _countdown : ulong.MaxValue;

    /// <summary>Counts <paramref name="clocks"/> processor clocks (any number: the counter may wrap more than once); a timer that counts blocks ignores them.</summary>
    public void Advance(ulong clocks)
    {
        if (!CountsBlocks)
        {
            Count(clocks);
        }
    }

    /// <summary>Brings a timer that counts blocks up to <see cref="BlockClock"/> (the machine calls it as blocks are entered).</summary>
    public void Sync()
    {
        if (!CountsBlocks || BlockClock is not { } clock)
        {
            return;
        }
        ulong now = clock();
        if (now > _blocksAt)
        {
            Count(now - _blocksAt);
        }
        _blocksAt = now;
    }

    /// <summary>Counts <paramref name="blocks"/> that passed without being entered (the CPU slept): a timer that counts blocks takes them as blocks.</summary>
    public void AdvanceIdle(ulong blocks)
    {
        if (CountsBlocks)
        {
            Count(blocks);
        }
    }

    private void Count(ulong ticks)
    {
        if (!Counts || (_csr & 1) == 0 || _reload == 0)
        {
            return;
        }
        if (ticks < _countdown)
        {
            _countdown -= ticks;
            return;
        }
        ulong period = Period;
        _countdown = period - (ticks - _countdown) % period;   // wraps pend the exception once, as on the part
        _csr |= CountFlag;
        if ((_csr & 2) != 0)
        {
            _nvic.Pend(Nvic.SysTick);
        }
    }
}
