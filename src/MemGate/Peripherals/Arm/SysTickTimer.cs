using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The Cortex-M SysTick timer (ARMv7-M ARM B3.3): CSR, RVR, CVR and CALIB at 0xE000E010. It counts
/// executed instructions as processor clocks, so a run's timing is exact and repeatable; on reaching
/// zero it reloads, sets COUNTFLAG and, with TICKINT, makes the SysTick exception pending.
/// </summary>
public sealed class SysTickTimer
{
    private readonly Nvic _nvic;
    private ulong _countdown;       // clocks left until the counter wraps
    private ulong _csr;
    private ulong _reload;

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
                    ulong seen = (_csr & 0x7) | (_csr & (1UL << 16));
                    _csr &= ~(1UL << 16);   // COUNTFLAG clears on read
                    return seen;
                },
                OnWrite = (_, value) =>
                {
                    bool starting = (value & 1) != 0 && (_csr & 1) == 0;
                    _csr = (value & 0x7) | (_csr & (1UL << 16));
                    if (starting)
                    {
                        _countdown = _reload + 1;
                    }
                },
            },
            new RegisterDefinition("RVR", 0x4, 32) { OnWrite = (_, value) => _reload = value & 0xFF_FFFF, OnRead = _ => _reload },
            new RegisterDefinition("CVR", 0x8, 32)
            {
                OnWrite = (_, _) => { _countdown = _reload + 1; _csr &= ~(1UL << 16); },
                OnRead = _ => (_csr & 1) != 0 && _countdown > 0 ? _countdown - 1 : 0,
            },
            new RegisterDefinition("CALIB", 0xC, 32) { Access = FieldAccess.ReadOnly, ResetValue = 1UL << 31 },   // NOREF: no reference clock
        ], baseAddress: 0xE000_E010);
    }

    /// <summary>The timer's registers, for 0xE000E010.</summary>
    public RegisterBlock Block { get; }

    /// <summary>The timer's state, for a machine snapshot, and back.</summary>
    internal (ulong Csr, ulong Reload, ulong Countdown) State
    {
        get => (_csr, _reload, _countdown);
        set => (_csr, _reload, _countdown) = value;
    }

    /// <summary>Back to the reset state: stopped, reload and counter 0.</summary>
    public void Reset() => (_csr, _reload, _countdown) = (0, 0, 0);

    /// <summary>Clocks until the counter wraps with its interrupt enabled (<see cref="ulong.MaxValue"/> when it will not interrupt).</summary>
    public ulong ClocksToInterrupt => (_csr & 3) == 3 && _reload != 0 ? _countdown : ulong.MaxValue;

    /// <summary>Counts <paramref name="clocks"/> processor clocks (any number: the counter may wrap more than once).</summary>
    public void Advance(ulong clocks)
    {
        if ((_csr & 1) == 0 || _reload == 0)
        {
            return;
        }
        if (clocks < _countdown)
        {
            _countdown -= clocks;
            return;
        }
        ulong period = _reload + 1;
        _countdown = period - (clocks - _countdown) % period;   // wraps pend the exception once, as on the part
        _csr |= 1UL << 16;             // COUNTFLAG
        if ((_csr & 2) != 0)
        {
            _nvic.Pend(Nvic.SysTick);
        }
    }
}
