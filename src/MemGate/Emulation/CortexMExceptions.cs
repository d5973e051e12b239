using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>
/// The Cortex-M system exceptions the machine raises itself, with the registers firmware uses to
/// control them: SysTick (CSR, RVR, CVR, CALIB at 0xE000E010, counting executed instructions as
/// processor clocks) and the SCB's ICSR (PENDSVSET, PENDSTSET) and VTOR at 0xE000ED04/08.
/// </summary>
/// <remarks>
/// Scope, on purpose small and exact: one exception at a time (no nesting, no priorities), taken when
/// PRIMASK is clear; SVCall, PendSV and SysTick. External interrupts (NVIC ISER/ISPR) are not raised
/// by any peripheral model yet.
/// </remarks>
internal sealed class CortexMExceptions
{
    public const int SvCall = 11;
    public const int PendSv = 14;
    public const int SysTick = 15;

    private uint _pending;          // bit n: exception n pending
    private ulong _countdown;       // instructions left until the SysTick counter wraps
    private ulong _csr;
    private ulong _reload;
    private ulong _vtor;

    public CortexMExceptions()
    {
        SysTickBlock = new RegisterBlock("SysTick", 0x10,
        [
            new RegisterDefinition("CSR", 0x0, 32)
            {
                OnRead = value =>
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
        ]);
        ScbBlock = new RegisterBlock("SCB", 0x10,
        [
            new RegisterDefinition("CPUID", 0x0, 32) { Access = FieldAccess.ReadOnly, ResetValue = 0x412F_C230 },
            new RegisterDefinition("ICSR", 0x4, 32)
            {
                OnWrite = (_, value) =>
                {
                    if ((value & (1UL << 28)) != 0) { Pend(PendSv); }
                    if ((value & (1UL << 27)) != 0) { _pending &= ~(1u << PendSv); }
                    if ((value & (1UL << 26)) != 0) { Pend(SysTick); }
                    if ((value & (1UL << 25)) != 0) { _pending &= ~(1u << SysTick); }
                },
                OnRead = _ => (((_pending >> PendSv) & 1UL) << 28) | (((_pending >> SysTick) & 1UL) << 26),
            },
            new RegisterDefinition("VTOR", 0x8, 32) { OnWrite = (_, value) => _vtor = value & 0xFFFF_FF80, OnRead = _ => _vtor },
            new RegisterDefinition("AIRCR", 0xC, 32),
        ]);
    }

    /// <summary>SysTick's registers, for the PPB.</summary>
    public RegisterBlock SysTickBlock { get; }

    /// <summary>The SCB's CPUID, ICSR, VTOR and AIRCR, for the PPB.</summary>
    public RegisterBlock ScbBlock { get; }

    /// <summary>Where the vector table is (VTOR).</summary>
    public ulong VectorTable => _vtor;

    public bool HasPending => _pending != 0;

    public void Pend(int exception) => _pending |= 1u << exception;

    /// <summary>The lowest-numbered pending exception (highest fixed priority), now active.</summary>
    public int TakeNext()
    {
        int number = System.Numerics.BitOperations.TrailingZeroCount(_pending);
        _pending &= ~(1u << number);
        return number;
    }

    /// <summary>Counts <paramref name="instructions"/> processor clocks on SysTick.</summary>
    public void Advance(ulong instructions)
    {
        if ((_csr & 1) == 0 || _reload == 0)
        {
            return;
        }
        if (instructions < _countdown)
        {
            _countdown -= instructions;
            return;
        }
        _countdown = _reload + 1;
        _csr |= 1UL << 16;             // COUNTFLAG
        if ((_csr & 2) != 0)
        {
            Pend(SysTick);
        }
    }
}
