using System.Numerics;
using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// The Cortex-M exception model (ARMv7-M ARM B1.5, B3.4): which exceptions are pending, enabled and
/// active, their priorities, and the registers firmware uses for them — NVIC ISER/ICER/ISPR/ICPR/IABR,
/// IPR from 0xE000E100, STIR at 0xE000EF00, and the SCB's ICSR, VTOR, AIRCR (PRIGROUP), SHPR1–3 and SHCSR at
/// 0xE000ED00. The machine asks it which exception to take (<see cref="NextToTake"/>) and tells it
/// when one is entered and returned from; peripherals raise interrupts with <see cref="SetPending"/>
/// or drive a level-sensitive line with <see cref="SetLevel"/>.
/// </summary>
/// <remarks>
/// Priorities keep the implemented high bits only (4 on STM32). Exceptions nest: one preempts when its
/// group priority is higher (numerically lower) than the running priority, which PRIMASK raises to 0
/// and BASEPRI to its value. Faults are synchronous: the machine asks <see cref="TakeFault"/> which
/// exception takes one (the fault's own handler, HardFault by escalation, or none: lockup), which also
/// sets CFSR, HFSR, MMFAR and BFAR.
/// </remarks>
public sealed class Nvic
{
    /// <summary>HardFault's exception number (fixed priority -1).</summary>
    public const int HardFault = 3;

    /// <summary>MemManage's exception number.</summary>
    public const int MemManage = 4;

    /// <summary>BusFault's exception number.</summary>
    public const int BusFault = 5;

    /// <summary>UsageFault's exception number.</summary>
    public const int UsageFault = 6;

    /// <summary>SVCall's exception number.</summary>
    public const int SvCall = 11;

    /// <summary>PendSV's exception number.</summary>
    public const int PendSv = 14;

    /// <summary>SysTick's exception number.</summary>
    public const int SysTick = 15;

    /// <summary>Exception number of external interrupt 0.</summary>
    public const int FirstExternal = 16;

    private const int Exceptions = 256;
    private readonly ulong[] _pending = new ulong[Exceptions / 64];
    private readonly ulong[] _enabled = new ulong[Exceptions / 64];
    private readonly ulong[] _active = new ulong[Exceptions / 64];
    private readonly byte[] _priority = new byte[Exceptions];
    private readonly byte _priorityMask;
    private readonly int _externalCount;
    private readonly ulong[] _asserted = new ulong[Exceptions / 64];   // level-sensitive lines held high
    private int _priorityGroup;
    private bool _maybeTakeable;   // false once a search found nothing pending and enabled; any change sets it again
    private ulong _vtor;
    private ulong _faultEnables;   // SHCSR MEMFAULTENA, BUSFAULTENA, USGFAULTENA (bits 16-18)
    private const ulong HfsrForced = 1UL << 30;
    private const ulong HfsrDebugEvent = 1UL << 31;
    private const ulong DfsrBreakpoint = 1UL << 1;

    /// <summary>
    /// An NVIC with <paramref name="externalInterrupts"/> lines and <paramref name="priorityBits"/> implemented priority bits,
    /// whose SCB's CPUID reads <paramref name="cpuid"/> (by default a Cortex-M3 r1p1's, as on the STM32F1).
    /// </summary>
    public Nvic(int externalInterrupts = 240, int priorityBits = 4, uint cpuid = 0x411F_C231)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(externalInterrupts, Exceptions - FirstExternal);
        ArgumentOutOfRangeException.ThrowIfLessThan(priorityBits, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priorityBits, 8);
        _externalCount = externalInterrupts;
        _priorityMask = (byte)(0xFF << (8 - priorityBits));
        Reset();   // system exceptions the machine raises are always enabled; external ones wait for ISER
        int words = (externalInterrupts + 31) / 32;
        var nvic = new List<RegisterDefinition>();
        for (int i = 0; i < words; i++)
        {
            int word = i;
            nvic.Add(new RegisterDefinition($"ISER{i}", 0x000 + 4UL * (ulong)i, 32) { OnWrite = (_, v) => Update(_enabled, word, v, set: true), OnRead = _ => Word(_enabled, word) });
            nvic.Add(new RegisterDefinition($"ICER{i}", 0x080 + 4UL * (ulong)i, 32) { OnWrite = (_, v) => Update(_enabled, word, v, set: false), OnRead = _ => Word(_enabled, word) });
            nvic.Add(new RegisterDefinition($"ISPR{i}", 0x100 + 4UL * (ulong)i, 32) { OnWrite = (_, v) => Update(_pending, word, v, set: true), OnRead = _ => Word(_pending, word) });
            nvic.Add(new RegisterDefinition($"ICPR{i}", 0x180 + 4UL * (ulong)i, 32) { OnWrite = (_, v) => Update(_pending, word, v, set: false), OnRead = _ => Word(_pending, word) });
            nvic.Add(new RegisterDefinition($"IABR{i}", 0x200 + 4UL * (ulong)i, 32) { Access = FieldAccess.ReadOnly, OnRead = _ => Word(_active, word) });
        }
        for (int i = 0; i < (externalInterrupts + 3) / 4; i++)
        {
            int first = FirstExternal + 4 * i;
            nvic.Add(new RegisterDefinition($"IPR{i}", 0x300 + 4UL * (ulong)i, 32) { OnWrite = (_, v) => SetPriorities(first, v), OnRead = _ => Priorities(first) });
        }
        // Reading the NVIC, SCB and STIR changes nothing (CFSR and the like clear on writes): a debugger may read them.
        NvicBlock = new RegisterBlock("NVIC", 0x400, nvic, baseAddress: 0xE000_E100) { QuietReads = true };
        // STIR lies past the SCB (0xE000EF00), so it is a block of its own.
        StirBlock = new RegisterBlock("STIR", 0x4,
        [
            new RegisterDefinition("STIR", 0x0, 32) { Access = FieldAccess.WriteOnly, OnWrite = (_, v) => SetPendingIfExists((int)(v & 0x1FF)) },
        ], baseAddress: 0xE000_EF00) { QuietReads = true };

        ScbBlock = new RegisterBlock("SCB", 0x40,
        [
            new RegisterDefinition("CPUID", 0x00, 32) { Access = FieldAccess.ReadOnly, ResetValue = cpuid },
            new RegisterDefinition("ICSR", 0x04, 32) { OnWrite = (_, v) => WriteIcsr(v), OnRead = _ => ReadIcsr() },
            new RegisterDefinition("VTOR", 0x08, 32) { OnWrite = (_, v) => _vtor = v & 0xFFFF_FF80, OnRead = _ => _vtor },
            new RegisterDefinition("AIRCR", 0x0C, 32)
            {
                // Writes need VECTKEY 0x05FA in the top half; reads show VECTKEYSTAT 0xFA05.
                OnWrite = (_, v) => { if ((v >> 16) == 0x05FA) { _priorityGroup = (int)((v >> 8) & 7); _maybeTakeable = true; } },
                OnRead = _ => 0xFA05_0000UL | ((ulong)_priorityGroup << 8),
            },
            new RegisterDefinition("SCR", 0x10, 32),
            new RegisterDefinition("CCR", 0x14, 32) { ResetValue = 0x200 },
            // Priorities of the system handlers 4-15 (B3.2.10-B3.2.12): those of the reserved numbers 7-10 and 13 read as zero.
            new RegisterDefinition("SHPR1", 0x18, 32) { OnWrite = (_, v) => SetPriorities(4, v & 0x00FF_FFFF), OnRead = _ => Priorities(4) & 0x00FF_FFFF },
            new RegisterDefinition("SHPR2", 0x1C, 32) { OnWrite = (_, v) => SetPriorities(8, v & 0xFF00_0000), OnRead = _ => Priorities(8) & 0xFF00_0000 },
            new RegisterDefinition("SHPR3", 0x20, 32) { OnWrite = (_, v) => SetPriorities(12, v & 0xFFFF_00FF), OnRead = _ => Priorities(12) & 0xFFFF_00FF },
            new RegisterDefinition("SHCSR", 0x24, 32) { OnWrite = (_, v) => _faultEnables = v & (7UL << 16), OnRead = _ => ReadShcsr() },
            // Fault status (B3.2.15-B3.2.21): set by the machine when it takes a fault, cleared by writing ones.
            new RegisterDefinition("CFSR", 0x28, 32) { Fields = [new RegisterField("CFSR", 0, 32) { WriteAction = WriteAction.OneToClear }] },
            new RegisterDefinition("HFSR", 0x2C, 32) { Fields = [new RegisterField("HFSR", 0, 32) { WriteAction = WriteAction.OneToClear }] },
            new RegisterDefinition("DFSR", 0x30, 32) { Fields = [new RegisterField("DFSR", 0, 32) { WriteAction = WriteAction.OneToClear }] },
            new RegisterDefinition("MMFAR", 0x34, 32),
            new RegisterDefinition("BFAR", 0x38, 32),
            new RegisterDefinition("AFSR", 0x3C, 32),
        ], baseAddress: 0xE000_ED00) { QuietReads = true };
    }

    /// <summary>The NVIC's registers (ISER… STIR), for 0xE000E100.</summary>
    public RegisterBlock NvicBlock { get; }

    /// <summary>The software trigger interrupt register, for 0xE000EF00.</summary>
    public RegisterBlock StirBlock { get; }

    /// <summary>The SCB's CPUID… SHCSR, for 0xE000ED00.</summary>
    public RegisterBlock ScbBlock { get; }

    /// <summary>
    /// Whether an exception may preempt a running handler (the architecture's rule, the default). Fuzzware's
    /// NVIC takes none while a handler runs: a pending one waits for the return (tail-chaining), and an SVC
    /// made in a handler stays pending instead of escalating. Faults are taken either way.
    /// </summary>
    public bool Nesting { get; init; } = true;

    /// <summary>How many external interrupt lines it implements.</summary>
    public int ExternalInterrupts => _externalCount;

    /// <summary>VTOR after reset: 0 unless the device boots from a vector table elsewhere (its <c>[boot] vector_table</c>), as parts with a VTOR reset value do.</summary>
    public ulong ResetVectorTable { get; set; }

    /// <summary>Where the vector table is (VTOR).</summary>
    public ulong VectorTable => _vtor;

    /// <summary>The number of the exception running now (IPSR), which ICSR.VECTACTIVE shows; the machine supplies it.</summary>
    internal Func<int>? CurrentException { get; set; }

    /// <summary>Writes everything the NVIC holds, for a machine snapshot.</summary>
    internal void SaveState(StateWriter writer)
    {
        writer.Begin("NVIC");
        writer.Write(_pending);
        writer.Write(_enabled);
        writer.Write(_active);
        writer.Write(_asserted);
        writer.Write(_priority);
        writer.Write(_priorityGroup);
        writer.Write(_vtor);
        writer.Write(_faultEnables);
        foreach (string register in FaultRegisters)
        {
            writer.Write(ScbBlock.Peek(register));
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote.</summary>
    internal void RestoreState(StateReader reader)
    {
        reader.Begin("NVIC");
        reader.Read(_pending.AsSpan());
        reader.Read(_enabled.AsSpan());
        reader.Read(_active.AsSpan());
        reader.Read(_asserted.AsSpan());
        reader.Read(_priority.AsSpan());
        (_priorityGroup, _vtor, _faultEnables) = (reader.ReadInt32(), reader.ReadUInt64(), reader.ReadUInt64());
        foreach (string register in FaultRegisters)
        {
            ScbBlock.Poke(register, reader.ReadUInt64());
        }
        _maybeTakeable = true;
    }

    private static readonly string[] FaultRegisters = ["CFSR", "HFSR", "MMFAR", "BFAR"];

    /// <summary>Back to the reset state: nothing pending, enabled or active; priorities 0; VTOR its reset value; PRIGROUP 0.</summary>
    public void Reset()
    {
        Array.Clear(_pending);
        Array.Clear(_active);
        Array.Clear(_asserted);
        Array.Clear(_priority);
        Array.Clear(_enabled);
        foreach (int n in (int[])[SvCall, PendSv, SysTick])
        {
            _enabled[n / 64] |= 1UL << n;
        }
        _vtor = ResetVectorTable & 0xFFFF_FF80;
        _priorityGroup = 0;
        _maybeTakeable = false;
        _faultEnables = 0;
        foreach (string register in (string[])["CFSR", "HFSR", "DFSR", "MMFAR", "BFAR"])
        {
            ScbBlock?.Poke(register, 0);
        }
    }

    /// <summary>
    /// A synchronous fault (<see cref="MemManage"/>, <see cref="BusFault"/>, <see cref="UsageFault"/> or
    /// <see cref="HardFault"/>) happened: records its CFSR bits and fault address, and returns the exception
    /// to take (B1.5.4): the fault itself when SHCSR enables it and its priority preempts, else HardFault
    /// with HFSR.FORCED; 0 when not even HardFault can preempt (a fault in HardFault or under FAULTMASK: lockup).
    /// </summary>
    /// <remarks>
    /// <paramref name="breakpoint"/>: the fault is a BKPT that no debugger halts on and no DebugMonitor takes (C1.7): a
    /// HardFault with HFSR.DEBUGEVT and DFSR.BKPT instead of HFSR.FORCED.
    /// </remarks>
    internal int TakeFault(int fault, uint cfsr, ulong? mmfar, ulong? bfar, bool primask, uint basepri, bool faultmask, bool breakpoint = false)
    {
        if (breakpoint)
        {
            ScbBlock.Poke("DFSR", ScbBlock.Peek("DFSR") | DfsrBreakpoint);
        }
        ScbBlock.Poke("CFSR", ScbBlock.Peek("CFSR") | cfsr);
        if (mmfar is { } m)
        {
            ScbBlock.Poke("MMFAR", m);
        }
        if (bfar is { } b)
        {
            ScbBlock.Poke("BFAR", b);
        }
        int running = RunningPriority(primask, basepri);
        if (fault != HardFault && (_faultEnables & (1UL << (16 + fault - MemManage))) != 0 && !faultmask && Group(_priority[fault]) < running)
        {
            return fault;
        }
        if (faultmask || running < 0)
        {
            return 0;
        }
        if (breakpoint)
        {
            ScbBlock.Poke("HFSR", ScbBlock.Peek("HFSR") | HfsrDebugEvent);
        }
        else if (fault != HardFault || cfsr == 0)
        {
            ScbBlock.Poke("HFSR", ScbBlock.Peek("HFSR") | HfsrForced);
        }
        return HardFault;
    }

    /// <summary>
    /// Whether fault <paramref name="fault"/> could preempt now (enabled, and above the running priority with
    /// these masks): the HFRDY, MMRDY, BFRDY and UFRDY bits a lazy FP entry records in FPCCR.
    /// </summary>
    internal bool IsReady(int fault, bool primask, uint basepri, bool faultmask)
    {
        int running = faultmask ? -1 : RunningPriority(primask, basepri);
        return fault == HardFault ? running > -1
            : (_faultEnables & (1UL << (16 + fault - MemManage))) != 0 && Group(_priority[fault]) < running;
    }

    /// <summary>Makes external interrupt <paramref name="irq"/> pending (taken once enabled and its priority allows).</summary>
    public void SetPending(int irq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(irq);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(irq, _externalCount);
        Pend(FirstExternal + irq);
    }

    private void SetPendingIfExists(int irq)
    {
        if (irq < _externalCount)
        {
            Pend(FirstExternal + irq);
        }
    }

    /// <summary>
    /// Drives the level-sensitive line of interrupt <paramref name="irq"/>: asserting it makes the
    /// interrupt pending (unless active), and while it stays asserted the interrupt is pending again
    /// after each return from its handler. Peripherals call this when their interrupt condition changes.
    /// </summary>
    public void SetLevel(int irq, bool asserted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(irq);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(irq, _externalCount);
        int n = FirstExternal + irq;
        if (!asserted)
        {
            _asserted[n / 64] &= ~(1UL << n);
            return;
        }
        _asserted[n / 64] |= 1UL << n;
        if (!IsActive(n))
        {
            Pend(n);
        }
    }

    /// <summary>Makes exception <paramref name="exception"/> (by number: 11 SVCall, 14 PendSV, 15 SysTick, 16+ external) pending.</summary>
    public void Pend(int exception)
    {
        _pending[exception / 64] |= 1UL << exception;
        _maybeTakeable = true;
    }

    /// <summary>Clears exception <paramref name="exception"/>'s pending state (an SVC escalated to HardFault does not stay pending).</summary>
    internal void Unpend(int exception) => _pending[exception / 64] &= ~(1UL << exception);

    /// <summary>Whether an exception other than <paramref name="exception"/> is active (a return to thread mode leaves none).</summary>
    internal bool AnyOtherActive(int exception)
    {
        ulong bit = 1UL << exception;
        for (int w = 0; w < _active.Length; w++)
        {
            if ((_active[w] & (w == exception / 64 ? ~bit : ~0UL)) != 0)
            {
                return true;
            }
        }
        return false;
    }

    private bool AnyActive()
    {
        foreach (ulong word in _active)
        {
            if (word != 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether any enabled exception is pending, whatever the masks (what wakes a CPU waiting for an interrupt).</summary>
    public bool AnyPendingEnabled()
    {
        for (int w = 0; w < _pending.Length; w++)
        {
            if ((_pending[w] & _enabled[w]) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether exception <paramref name="exception"/> is pending.</summary>
    public bool IsPending(int exception) => (_pending[exception / 64] & (1UL << exception)) != 0;

    /// <summary>Whether exception <paramref name="exception"/> is active (entered and not yet returned from).</summary>
    public bool IsActive(int exception) => (_active[exception / 64] & (1UL << exception)) != 0;

    /// <summary>Whether exception <paramref name="exception"/> (16+ for external interrupts) is enabled.</summary>
    public bool IsEnabled(int exception) => (_enabled[exception / 64] & (1UL << exception)) != 0;

    /// <summary>
    /// The pending, enabled exception that preempts now, or 0: the highest priority one (lowest number
    /// on a tie) whose group priority is above the running priority, given the active exceptions,
    /// PRIMASK, BASEPRI and FAULTMASK.
    /// </summary>
    public int NextToTake(bool primask, uint basepri, bool faultmask = false)
    {
        if (!_maybeTakeable)
        {
            return 0;   // checked at every block: most of the time nothing is pending
        }
        int best = Highest(out int priority);
        if (best == 0)
        {
            _maybeTakeable = false;
            return 0;
        }
        if (!Nesting && AnyActive())
        {
            return 0;   // the return from the running handler looks again
        }
        // FAULTMASK: priority -1, as HardFault's (B1.4.3). Fuzzware's NVIC takes a pending SVC whatever PRIMASK says
        // (its FORCE_SVC_ACTIVATION), as long as nothing pending outranks it.
        // Fuzzware's NVIC does not look at FAULTMASK either.
        bool masked = primask && (Nesting || best != SvCall);
        int running = faultmask && Nesting ? -1 : RunningPriority(masked, basepri);
        return Group(priority) < running ? best : 0;
    }

    /// <summary>Marks <paramref name="exception"/> active and no longer pending (exception entry).</summary>
    public void Enter(int exception)
    {
        _pending[exception / 64] &= ~(1UL << exception);
        _active[exception / 64] |= 1UL << exception;
    }

    /// <summary>Marks <paramref name="exception"/> no longer active (exception return).</summary>
    public void Leave(int exception)
    {
        _active[exception / 64] &= ~(1UL << exception);
        _maybeTakeable = true;
        if ((_asserted[exception / 64] & (1UL << exception)) != 0)
        {
            Pend(exception);   // a level-sensitive line still asserted pends its interrupt again
        }
    }

    private int RunningPriority(bool primask, uint basepri)
    {
        if (IsActive(HardFault))
        {
            return -1;   // HardFault's fixed priority: nothing configurable preempts it
        }
        int running = 256;   // thread mode, nothing boosting
        for (int w = 0; w < _active.Length; w++)
        {
            for (ulong bits = _active[w]; bits != 0; bits &= bits - 1)
            {
                running = Math.Min(running, Group(_priority[w * 64 + BitOperations.TrailingZeroCount(bits)]));
            }
        }
        // BASEPRI keeps the implemented bits only; what is left 0 masks nothing.
        if ((basepri & _priorityMask) != 0)
        {
            running = Math.Min(running, Group((byte)(basepri & _priorityMask)));
        }
        return primask ? Math.Min(running, 0) : running;
    }

    // The highest-priority pending and enabled exception (number, priority), or 0.
    private int Highest(out int priority)
    {
        int best = 0;
        priority = 256;
        for (int w = 0; w < _pending.Length; w++)
        {
            for (ulong bits = _pending[w] & _enabled[w]; bits != 0; bits &= bits - 1)
            {
                int n = w * 64 + BitOperations.TrailingZeroCount(bits);
                if (_priority[n] < priority)
                {
                    (best, priority) = (n, _priority[n]);
                }
            }
        }
        return best;
    }

    // Group priority: the bits above PRIGROUP's split (B1.5.4); subpriority only orders pending ones.
    private int Group(int priority) => priority >= 256 ? 256 : priority & (0xFF << (_priorityGroup + 1)) & 0xFF;

    // Register word i shows exceptions 16+32i … 16+32i+31 of the bit set.
    private static ulong Word(ulong[] bits, int word)
    {
        int first = FirstExternal + 32 * word;
        int w = first / 64, shift = first % 64;
        ulong low = bits[w] >> shift;
        ulong high = shift != 0 && w + 1 < bits.Length ? bits[w + 1] << (64 - shift) : 0;
        return (low | high) & 0xFFFF_FFFF;
    }

    private void Update(ulong[] bits, int word, ulong value, bool set)
    {
        _maybeTakeable = true;
        for (ulong v = value & 0xFFFF_FFFF; v != 0; v &= v - 1)
        {
            int irq = 32 * word + BitOperations.TrailingZeroCount(v);
            if (irq >= _externalCount)
            {
                continue;
            }
            int n = FirstExternal + irq;
            if (set)
            {
                bits[n / 64] |= 1UL << n;
            }
            else
            {
                bits[n / 64] &= ~(1UL << n);
            }
        }
    }

    private void SetPriorities(int first, ulong value)
    {
        _maybeTakeable = true;
        for (int i = 0; i < 4; i++)
        {
            if (first + i < FirstExternal + _externalCount)
            {
                _priority[first + i] = (byte)((value >> (8 * i)) & _priorityMask);
            }
        }
    }

    private ulong Priorities(int first)
    {
        ulong value = 0;
        for (int i = 0; i < 4 && first + i < Exceptions; i++)
        {
            value |= (ulong)_priority[first + i] << (8 * i);
        }
        return value;
    }

    private void WriteIcsr(ulong value)
    {
        if ((value & (1UL << 28)) != 0) { Pend(PendSv); }
        if ((value & (1UL << 27)) != 0) { _pending[0] &= ~(1UL << PendSv); }
        if ((value & (1UL << 26)) != 0) { Pend(SysTick); }
        if ((value & (1UL << 25)) != 0) { _pending[0] &= ~(1UL << SysTick); }
    }

    // VECTACTIVE (the CPU's IPSR, from the machine), VECTPENDING, ISRPENDING, RETTOBASE and the set bits.
    private ulong ReadIcsr()
    {
        int pending = Highest(out _);
        bool external = false;
        for (int w = 0; w < _pending.Length; w++)
        {
            ulong mask = w == 0 ? ~0xFFFFUL : ~0UL;
            external |= (_pending[w] & mask) != 0;
        }
        int activeCount = _active.Sum(BitOperations.PopCount);
        return (ulong)(uint)((CurrentException?.Invoke() ?? 0) & 0x1FF) | ((ulong)(pending & 0x1FF) << 12) | (external ? 1UL << 22 : 0) | (activeCount <= 1 ? 1UL << 11 : 0)
            | (IsPending(PendSv) ? 1UL << 28 : 0) | (IsPending(SysTick) ? 1UL << 26 : 0);
    }

    private ulong ReadShcsr() =>
        (IsActive(MemManage) ? 1UL << 0 : 0) | (IsActive(BusFault) ? 1UL << 1 : 0) | (IsActive(UsageFault) ? 1UL << 3 : 0)
        | (IsActive(SvCall) ? 1UL << 7 : 0) | (IsActive(PendSv) ? 1UL << 10 : 0) | (IsActive(SysTick) ? 1UL << 11 : 0)
        | (IsPending(UsageFault) ? 1UL << 12 : 0) | (IsPending(MemManage) ? 1UL << 13 : 0) | (IsPending(BusFault) ? 1UL << 14 : 0)
        | (IsPending(SvCall) ? 1UL << 15 : 0) | _faultEnables;
}
