using MemGate.Devices;
using MemGate.Engine;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;   // only for Unicorn's register ids, which are the engine's ids for this architecture
using MemGate.Peripherals;
using MemGate.Peripherals.Arm;

namespace MemGate.Emulation;

/// <summary>
/// A Cortex-M3/M4 machine: reset from the vector table (at 0, or the device's <c>[boot] vector_table</c>),
/// the System Control Space (<see cref="ArmSystemControlSpace"/>: NVIC, SCB, SysTick), exception entry and
/// return with stacking, EXC_RETURN, priorities and nesting, and ARM semihosting (BKPT 0xAB). Every other
/// peripheral comes from the device file's models (<see cref="MemGate.Peripherals.PeripheralRegistry"/>).
/// On a Cortex-M4 the floating-point extension's context is modelled too (<see cref="FloatingPointUnit"/>).
/// </summary>
/// <remarks>
/// Unicorn has no NVIC and faults on the EXC_RETURN branch, so exceptions are this class's: entry at
/// a block boundary (8-word frame on an 8-byte aligned main stack, LR = EXC_RETURN, IPSR), return when
/// the fault at 0xFFFFFFFx arrives; both clear the exclusive monitor. Faults (undefined instructions,
/// invalid state, bus errors on access to nothing or against a region's permissions) are taken by the
/// firmware's UsageFault, BusFault, MemManage or HardFault handler as B1.5 and B3.2 define them, with
/// escalation to HardFault; a fault nothing can take (lockup) ends the run. Thread mode may run on the process stack (CONTROL.SPSEL), as RTOS
/// tasks do. On an M4F, FP instructions with CPACR.CP10 denying access take a NOCP UsageFault (Unicorn does not
/// check CPACR: the machine hooks the FP instructions of the blocks it sees while access is denied), and an
/// exception taken with CONTROL.FPCA set pushes the extended frame (S0-S15, FPSCR; EXC_RETURN 0xFFFFFFE1/E9/ED),
/// lazily with FPCCR.LSPEN (space reserved, FPCAR and LSPACT set, the registers written at the handler's first FP
/// instruction), as QEMU 7.2 does.
/// </remarks>
public sealed class CortexMMachine : FirmwareMachine
{
    // Unmapped executable addresses (code, SRAM or external RAM space of the default memory map; device space is execute-never).
    private static readonly ulong[] Halts = [0x9FFF_FC00, 0x7FFF_FC00, 0x3FFF_FC00, 0x1FFD_0000];
    private const ulong ExcReturnBase = 0xFFFF_FFF0;
    private const ulong ExcReturnFloatingPoint = 0xFFFF_FFE0;
    private const uint BkptSemihosting = 0xBEAB;
    private const uint WfiInstruction = 0xBF30;
    private const uint YieldInstruction = 0xBF10;
    private const uint WfeInstruction = 0xBF20;
    private const uint HintWide = 0xF3AF;   // first halfword of NOP.W, YIELD.W (second 0x8001), WFE.W (0x8002), WFI.W …
    private const uint XpsrThumb = 1u << 24;
    private const uint XpsrIt = 0x0600_FC00;   // IT[1:0] (bits 26:25) and IT[7:2] (bits 15:10)
    private const ulong ItResumeSequence = 12;   // offset of the second CLREX sequence (returns into an IT block)
    private const ulong ItResumeBranch = ItResumeSequence + 4;   // its hooked branch
    private const uint ExcpUndefined = 1;
    private const uint ExcpBreakpoint = 7;
    private const uint ExcpPrefetchAbort = 3;
    private const uint ExcpDataAbort = 4;
    private const uint ExcpNoCoprocessor = 17;
    private const uint ExcpInvalidState = 18;
    private const uint ExcpUnaligned = 22;
    private const uint ExcpDivideByZero = 23;
    private const uint CfsrIaccviol = 1u << 0;
    private const uint CfsrDaccviol = 1u << 1;
    private const uint CfsrIbuserr = 1u << 8;
    private const uint CfsrPreciserr = 1u << 9;
    private const uint CfsrBfarvalid = 1u << 15;
    private const uint CfsrUndefinstr = 1u << 16;
    private const uint CfsrInvstate = 1u << 17;
    private const uint CfsrInvpc = 1u << 18;
    private const uint CfsrNocp = 1u << 19;
    private const uint CfsrUnaligned = 1u << 24;
    private const uint CfsrDivbyzero = 1u << 25;

    private readonly Semihosting _semihosting;
    private readonly FloatingPointUnit? _fpu;

    /// <summary>Whether the CPU has the FPv4-SP floating-point unit (a Cortex-M4F), whose registers a debugger shows.</summary>
    internal bool HasFloatingPoint => _fpu is not null;
    private readonly HashSet<ulong> _fpHooks = [];
    private readonly HashSet<ulong> _divideHooks = [];   // SDIV/UDIV hooked while CCR.DIV_0_TRP was set (LooksAtDivisions)
    private bool _divideTrapSeen;   // CCR.DIV_0_TRP at the last block looked at
    private const ulong CcrDivideByZeroTrap = 1UL << 4;
    private readonly HashSet<ulong> _spHooks = [];   // instructions after an SP write: SP is aligned there
    private readonly HashSet<(ulong Writer, ulong Next)> _spPending = [];   // SP writes seen in code counted, not hooked yet (counting may see a prefix often)
    private bool _fpDeniedSeen;   // CPACR denied FP access at the last block entry (blocks run while it allowed were not looked at)
    private const ulong ControlNpriv = 1;
    private const ulong ControlFpca = 4;
    private const ulong ExcReturnBasicFrame = 0x10;   // EXC_RETURN bit 4 (FType): clear for the extended frame
    private const ulong BasicFrameSize = 0x20;
    private const ulong ExtendedFrameSize = 0x68;   // + S0-S15, FPSCR and a reserved word
    private const int FpRegistersStacked = 16;

    private CortexMMachine(ICpuEngine engine, DeviceMemory memory, PeripheralSet peripherals, TextWriter output, TextWriter? errorOutput, ArmSystemControlSpace scs,
        bool engineOwned)
        : base(engine, memory, peripherals, output, errorOutput, engineOwned)
    {
        Nvic = scs.Nvic;
        _sysTick = scs.SysTick;
        if (_sysTick.CountsBlocks)
        {
            _sysTick.BlockClock = () => Blocks;
        }
        _fpu = scs.Fpu;
        // Semihosting's clocks: one instruction a nanosecond (QEMU's -icount 0), as SysTick counts instructions as clocks.
        _semihosting = new Semihosting(memory.Main, output, ErrorOutput, wordBytes: 4, ticks: Now, ticksPerSecond: 1_000_000_000);
        Nvic.CurrentException = () => (int)(Reg32(Unicorn.ArmRegIpsr) & 0x1FF);
        // Exception entry and return clear the local exclusive monitor (B1.5.6, B1.5.8); Unicorn has no
        // way to do it from outside, so the CPU goes through "clrex; ldr.w pc, [pc]" with the target in the literal.
        // A return into an IT block goes through "clrex; b ." instead (ItResumeSequence): the CLREX runs outside the block (it
        // would take the block's next slot) and a hook on the branch puts the IT state back and goes to the target. The hook
        // is added on the first such return (HookItResume), so firmware without one runs with no code hook at all.
        (_clrexAddress, _clrexHost) = MapMachineCode([0xBF, 0xF3, 0x2F, 0x8F, 0xDF, 0xF8, 0x00, 0xF0, 0, 0, 0, 0, 0xBF, 0xF3, 0x2F, 0x8F, 0xFE, 0xE7]);
        // Without an MPU (MemGate's System Control Space does not enable Unicorn's), the CPU maps every address one
        // to one and only the default memory map's execute-never regions fault; fetches there go to the CPU's MMU.
        engine.TranslateDirectly(static (page, access) => access != AccessKind.Execute || ExecutableByDefault(page));
        _triggers = new InterruptTriggers(memory.Device, Nvic, () => MmioInput);
        foreach (ulong address in _triggers.Addresses)
        {
            HookInstruction(address);
        }
    }

    // The default memory map (ARMv7-M B3.1, Table B3-1): Code, SRAM and the two RAM regions may be executed; Peripheral,
    // Device and System are execute-never.
    private static bool ExecutableByDefault(ulong address) => address < 0x4000_0000 || address is >= 0x6000_0000 and < 0xA000_0000;

    private readonly InterruptTriggers _triggers;
    private readonly SysTickTimer _sysTick;
    private ulong _triggerBlocks;   // the engine's block count the triggers have seen
    private readonly ulong _clrexAddress;
    private ulong _itResume;   // the IT state of a return into an IT block on its way through the second CLREX sequence (to ClrexTarget)
    private bool _itResumeHooked;
    private readonly nint _clrexHost;

    /// <summary>The interrupt controller: raise or connect peripheral interrupts here.</summary>
    public Nvic Nvic { get; }

    /// <summary>Builds the machine for a Cortex-M3 or M4 device (see <see cref="FirmwareMachine.Create"/>).</summary>
    /// <exception cref="NotSupportedException">The device's CPU is not a Cortex-M3 or M4, or Unicorn is not installed.</exception>
    public static new CortexMMachine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions? options = null) =>
        Create(device, output, options ?? new FirmwareMachineOptions(), engineOwned: false);

    internal static CortexMMachine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions options, bool engineOwned)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Cpu.ToLowerInvariant() is not ("cortex-m3" or "cortex-m4"))
        {
            throw new NotSupportedException($"Device '{device.Name}' has CPU '{device.Cpu}'; the Cortex-M machine runs cortex-m3 and cortex-m4.");
        }
        // The NVIC, SCB and SysTick come from the file's "armv7m-scs" entry (line count, priority bits), else with the architecture's defaults.
        return Build(device, output, options, EngineRegisterFile.CortexM(), ArmSystemControlSpace.Info.Model, (engine, memory, peripherals) =>
            new CortexMMachine(engine, memory, peripherals, output, options.ErrorOutput, peripherals.Find<ArmSystemControlSpace>()!, engineOwned));
    }

    private protected override void Loaded(string file, IReadOnlyList<(ulong Address, ReadOnlyMemory<byte> Data)> code) => _semihosting.CommandLine = file;

    private protected override void SaveModels(StateWriter writer)
    {
        base.SaveModels(writer);
        _triggers.SaveState(writer);
        writer.Begin("exception return");
        writer.Write(ClrexTarget | ((ulong)_itResume << 32));   // a run stopped inside a CLREX sequence goes on to it (the IT state above: files without it read 0)
    }

    private protected override void RestoreModels(StateReader reader)
    {
        base.RestoreModels(reader);
        _triggers.RestoreState(reader);
        reader.Begin("exception return");
        ulong clrex = reader.ReadUInt64();
        (ClrexTarget, _itResume) = ((uint)clrex, clrex >> 32);
        if (_itResume != 0)
        {
            HookItResume();   // the saved run stopped inside the second CLREX sequence
        }
        _triggerBlocks = Blocks;
        _fpDeniedSeen = false;   // blocks run since may not have been looked at
        _divideTrapSeen = false;
    }

    private protected override int ProgramCounterRegister => Unicorn.ArmRegPc;

    // Written back while the fresh machine is privileged, in thread mode on MSP: the masks and both stack
    // pointers first (MSR goes to the banked copy), the PC (which clears the Thumb bit), xPSR (IPSR, the
    // Thumb and IT bits, GE: the engine writes those only through its NZCVQG form), then CONTROL, which selects the stack and may drop privilege.
    private protected override IReadOnlyList<SnapshotRegister> SnapshotRegisters => _snapshotRegisters ??=
    [
        new("primask", Unicorn.ArmRegPrimask, 4), new("basepri", Unicorn.ArmRegBasepri, 4), new("faultmask", Unicorn.ArmRegFaultmask, 4),
        new("msp", Unicorn.ArmRegMsp, 4), new("psp", Unicorn.ArmRegPsp, 4),
        .. Enumerable.Range(0, 13).Select(i => new SnapshotRegister($"r{i}", Unicorn.ArmRegR0 + i, 4)),
        new("lr", Unicorn.ArmRegLr, 4), new("pc", Unicorn.ArmRegPc, 4), new("xpsr", Unicorn.ArmRegXpsr, 4) { Write = v => SetRegister(Unicorn.ArmRegXpsrNzcvqg, v) }, new("control", Unicorn.ArmRegControl, 4) { Write = v => { SetRegister(Unicorn.ArmRegControl, v); PrivilegeChanged(); } },
        .. _fpu is null ? [] : Enumerable.Range(0, 16).Select(i => new SnapshotRegister($"d{i}", Unicorn.ArmRegD0 + i, 8)).Append(new("fpscr", Unicorn.ArmRegFpscr, 4)),
    ];

    private SnapshotRegister[]? _snapshotRegisters;

    private protected override IReadOnlyList<ulong> HaltCandidates => Halts;

    private protected override uint HaltInstructions => 0xE7FE_E7FE;   // b . ; b .

    private protected override ulong CodeAddress(ulong address) => address | 1;

    // Stopped right after a BX to an even address (EPSR.T clear), going on must take the INVSTATE UsageFault the next
    // instruction raises, as the run that never stopped does: not start it again in Thumb state.
    private protected override ulong ResumeAddress(ulong address) => (Reg32(Unicorn.ArmRegXpsr) & XpsrThumb) != 0 ? address | 1 : address & ~1UL;

    // AAPCS: the result in r0, back to LR (Thumb bit kept).
    private protected override void ReturnFromFunction(ulong? value)
    {
        if (value is { } result)
        {
            SetRegister(Unicorn.ArmRegR0, result);
        }
        SetRegister(Unicorn.ArmRegPc, Register(Unicorn.ArmRegLr) | 1);
    }

    // Thumb: a halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit instruction.
    private static int ThumbLength(uint first) => first >> 11 >= 0b11101 ? 4 : 2;

    // IT with a mask (IT<mask> 0 is a hint: NOP, YIELD, WFI…).
    private static bool IsIt(uint first) => (first & 0xFF00) == 0xBF00 && (first & 0xF) != 0;

    private protected override uint InstructionSize(ulong address) => (uint)ThumbLength(ReadInstruction(address, 2));

    // IT<mask>: the block's length is where the mask's lowest set bit is (1000: one instruction, …, xxx1: four).
    private protected override int ConditionalAfter(ulong address) =>
        ReadInstruction(address, 2) is var first && IsIt(first) ? 4 - System.Numerics.BitOperations.TrailingZeroCount(first & 0xF) : 0;

    // Instructions that may leave SP unaligned are noted on the way (see AlignStackPointerAfter).
    private protected override uint CountInstructions(ulong address, ReadOnlySpan<byte> code)
    {
        uint count = 0;
        for (int i = 0; i + 1 < code.Length; count++)
        {
            uint first = (uint)(code[i] | code[i + 1] << 8);
            int length = ThumbLength(first);
            uint second = length == 4 && i + 3 < code.Length ? (uint)(code[i + 2] | code[i + 3] << 8) : 0;
            if (WritesStackPointer(first, second, length))
            {
                ulong next = address + (ulong)(i + length);
                if (!_spHooks.Contains(next))
                {
                    _spPending.Add((address + (ulong)i, next));
                }
            }
            i += length;
        }
        return count;
    }

    // M profile keeps SP word-aligned: bits [1:0] of SP_main and SP_process read as zero, whatever is written (B1.4.1;
    // QEMU masks every write). Unicorn's CPU does not, so a firmware loading an odd stack top (ldr sp, =0x2001FFFF, as
    // older linker scripts give) ran on an unaligned stack that exception entry then realigned, losing bytes on return.
    // The writes looked at are those that bring a value from outside the stack's own arithmetic: LDR SP; MOV SP, Rm
    // (start-up code's ldr r0, =_estack; mov sp, r0) but not from R7, the frame pointer every -O0 epilogue restores SP
    // from (a hook there would cost every function return); data processing with an immediate and Rd = SP; MSR MSP/PSP.
    // Arithmetic on SP itself (ADD/SUB SP, SP, #imm: every large frame's prologue and epilogue) keeps it aligned with the
    // immediates compilers give; register forms compute from SP-derived registers.
    private static bool WritesStackPointer(uint first, uint second, int length)
    {
        if (length == 2)
        {
            return (first & 0xFF87) == 0x4685 && ((first >> 3) & 0xF) != 7;
        }
        uint rd = (second >> 8) & 0xF;
        return ((first & 0xFA00) is 0xF000 or 0xF200 && (second & 0x8000) == 0 && rd == 13 && (first & 0xF) != 13)   // data processing, (modified or plain) immediate, not from SP
            || ((first & 0xFF70) == 0xF850 && second >> 12 == 13)                              // LDR (immediate, register, literal)
            || ((first & 0xFFF0) == 0xF380 && (second & 0xFF00) == 0x8800 && (second & 0xFF) is 8 or 9);   // MSR MSP/PSP
    }

    // Each instruction noted by CountInstructions gets a hook on the one after it (InstructionReached aligns SP there);
    // code already translated without them goes, and the block being entered starts again if the hooked instruction is
    // in it (true). A writer in an earlier block ran unhooked once (its block was seen on a path that did not come
    // here): SP is aligned now, as it would have been since.
    // FP instructions get hooks the same way (HookFloatingPoint).
    private protected override bool RestartsBlock(ulong address)
    {
        bool restart = _spPending.Count > 0 && AlignStackPointerAfter(address);
        restart |= _fpu is not null && LooksAtFloatingPoint(address);
        restart |= LooksAtDivisions(address);
        if (restart)
        {
            RestartBlock(address);
        }
        return restart;
    }

    private bool AlignStackPointerAfter(ulong block)
    {
        bool restart = false;
        foreach (var (writer, next) in _spPending)
        {
            if (_spHooks.Add(next))
            {
                HookInstruction(next);
                InvalidateCode(writer, next - writer + 2);
            }
            restart |= writer >= block && next < block + BlockBytes;
        }
        _spPending.Clear();
        AlignStackPointers();
        return restart;
    }

    // Stopped right after an SP write (an instruction limit, a breakpoint), before its hook: SP is aligned as seen from outside too.
    private protected override void EngineReturned() => AlignStackPointers();

    private void AlignStackPointers()
    {
        foreach (int register in (ReadOnlySpan<int>)[Unicorn.ArmRegSp, Unicorn.ArmRegMsp, Unicorn.ArmRegPsp])
        {
            ulong sp = Reg32(register);
            if ((sp & 3) != 0)
            {
                SetRegister(register, sp & ~3UL);
            }
        }
    }

    // Reset (B1.5.5): thread mode on the main stack, nothing masked, the exception state cleared, SP and PC
    // from the vector table: at 0, or where the device's [boot] puts it (VTOR then resets to it, as on parts
    // that boot from flash at 0x08000000 with nothing at 0); [boot] initial_sp and entry_point override the table.
    private protected override void HostStateRestarted() => _semihosting.Reset();

    private protected override ulong Reset()
    {
        _semihosting.Reset();
        var boot = Memory.Device.Boot;
        ulong table = boot.VectorTable ?? 0;
        Nvic.ResetVectorTable = table;
        Peripherals.Reset();
        _triggers.Reset();
        _triggerBlocks = Blocks;
        _divideTrapSeen = false;   // CCR resets with the trap off; blocks run while it was on keep their hooks, which look at CCR
        if (_fpu is not null)
        {
            _fpDeniedSeen = false;
            SetRegister(Unicorn.ArmRegFpscr, 0);
        }
        // R0-R12 as QEMU leaves them (zero, not the last run's values); LR as the architecture defines it for
        // M profile (TakeReset: 0xFFFFFFFF), so a reset handler that returns faults.
        for (int r = Unicorn.ArmRegR0; r <= Unicorn.ArmRegR12; r++)
        {
            SetRegister(r, 0);
        }
        SetRegister(Unicorn.ArmRegLr, 0xFFFF_FFFF);
        SetRegister(Unicorn.ArmRegIpsr, 0);
        SetRegister(Unicorn.ArmRegEpsr, XpsrThumb);   // outside any IT block, even if the last run stopped in one
        _itResume = 0;   // or on its way back into one
        SetRegister(Unicorn.ArmRegPrimask, 0);
        SetRegister(Unicorn.ArmRegBasepri, 0);
        SetRegister(Unicorn.ArmRegFaultmask, 0);
        SetRegister(Unicorn.ArmRegControl, 0);
        PrivilegeChanged();   // privileged thread mode, whatever the last run ended in
        SetRegister(Unicorn.ArmRegSp, (boot.InitialStackPointer ?? ReadVector(table, 0)) & ~3UL);   // SP_main's bits [1:0] are zero (TakeReset)
        return (boot.EntryPoint ?? ReadVector(table, 1)) | 1;
    }

    private ulong ReadVector(ulong table, int index)
    {
        var at = new GuestAddress(table + 4 * (ulong)index);
        try
        {
            return Memory.Main.Debug.ReadUInt32(at);
        }
        catch (GuestMemoryException e)
        {
            throw new EmulationFault($"Reset: the vector table at 0x{table:X8} cannot be read ({e.Message}); set [boot] vector_table to where the firmware's table is.",
                0, table + 4 * (ulong)index, AccessKind.Read);
        }
    }

    // Unicorn halts on WFI with the PC after it: a pending interrupt wakes the CPU at once, else time
    // jumps to SysTick's next interrupt; the next block entry takes it if the masks allow. (WFE is a hint
    // that returns at once: see StoppedAfterHint.)
    private protected override bool WaitsForInterrupt(ulong pc) => pc >= 2 && ReadInstruction(WaitingInstruction(pc), 2) == WfiInstruction;

    private protected override ulong WaitingInstruction(ulong pc) => (pc & ~1UL) - 2;

    private protected override bool WakeUp(ulong pc, out ulong resume)
    {
        resume = pc | 1;
        _sysTick.Sync();   // a SysTick counting blocks catches up with the blocks run before the wait
        // Time jumps from event to event (a timer whose interrupt the NVIC masks wakes nothing) for a bounded number of them.
        for (int i = 0; i < 64 && !Nvic.AnyPendingEnabled(); i++)
        {
            ulong wait = Math.Min(Peripherals.TicksToEvent, _triggers.TicksToEvent);
            if (wait == ulong.MaxValue)
            {
                return false;
            }
            AdvanceTime(wait);
            _triggers.AdvanceBlocks(wait);   // asleep, time still passes for triggers and a SysTick that count blocks
            _sysTick.AdvanceIdle(wait);
        }
        return Nvic.AnyPendingEnabled();
    }

    // Every block while an interrupt could be taken (the masks are registers the firmware changes
    // without telling anyone); otherwise at SysTick's next interrupt.
    // While lazy FP preservation is pending, every block too (its FP instructions must be seen before they run).
    private protected override void AdvanceTime(ulong instructions)
    {
        base.AdvanceTime(instructions);
        _triggers.Advance(instructions);
    }

    private protected override ulong NextEvent() =>
        Nvic.NextToTake(primask: false, basepri: 0) != 0 || _fpu is { LazyStateActive: true } ? 0 : Math.Min(Peripherals.TicksToEvent, _triggers.TicksToEvent);

    private protected override void BlockEntered(ulong address)
    {
        if (Blocks != _triggerBlocks)
        {
            _triggers.AdvanceBlocks(Blocks - _triggerBlocks);
            _triggerBlocks = Blocks;
        }
        _sysTick.Sync();   // a SysTick counting blocks (Fuzzware's) is due here; one counting instructions advanced with the time
        // Not inside the CLREX sequence: an exception taken there would stack its address, whose literal the next entry overwrites.
        if (address < ExcReturnBase && address - _clrexAddress >= Granule && Nvic.NextToTake(primask: false, basepri: 0) != 0)
        {
            // Something could preempt unmasked; now ask with the masks, which cost register reads.
            int next = NextToTake();
            if (next != 0)
            {
                UncountBlock(address);   // taken before the block runs (as QEMU checks at a block's start)
                TakeException(next, address);
                return;
            }
        }
    }

    // Whether the block being entered gets hooks on FP instructions (and must start again): blocks are looked at when
    // new and, while lazy preservation is pending, at every entry.
    private bool LooksAtFloatingPoint(ulong address)
    {
        var fpu = _fpu!;
        // A CPACR write makes this run before the next block: from now on new blocks are looked at, so the ones seen
        // while access was allowed must become new again.
        bool denied = !fpu.Allows(privileged: false);
        if (denied && !_fpDeniedSeen)
        {
            ForgetBlocks();
        }
        _fpDeniedSeen = denied;
        return fpu.WatchesInstructions && address < ExcReturnBase && address - _clrexAddress >= Granule && HookFloatingPoint(address, BlockInstructions);
    }

    // CCR.DIV_0_TRP (ARMv7-M B3.2.8): while it is set, the SDIV and UDIV of the blocks entered get hooks (InstructionReached
    // takes the DIVBYZERO UsageFault); the engine's CPU divides by zero to 0 whatever CCR says. Turning it on makes blocks
    // seen before new again (a CCR write is an MMIO access, after which the next block is looked at).
    private bool LooksAtDivisions(ulong address)
    {
        bool trap = (Nvic.ScbBlock.Peek("CCR") & CcrDivideByZeroTrap) != 0;
        if (trap && !_divideTrapSeen)
        {
            ForgetBlocks();
        }
        _divideTrapSeen = trap;
        return trap && address < ExcReturnBase && address - _clrexAddress >= Granule && HookDivisions(address, BlockInstructions);
    }

    // SDIV (FB9x Fxxx) and UDIV (FBBx Fxxx) of the block get hooks; true when one was added (the block then starts again).
    private bool HookDivisions(ulong address, uint instructions) =>
        HookWide(address, instructions, _divideHooks, (first, second) => (first & 0xFFD0) == 0xFB90 && (second & 0xF0F0) == 0xF0F0);

    // A hooked SDIV/UDIV about to run: with DIV_0_TRP set, a zero divisor (Rm) takes the DIVBYZERO UsageFault there.
    private void CheckDivision(ulong address)
    {
        int rm = (int)(ReadInstruction(address + 2, 2) & 0xF);   // 13 and 15 are UNPREDICTABLE as a divisor
        if ((Nvic.ScbBlock.Peek("CCR") & CcrDivideByZeroTrap) == 0 || rm is 13 or 15
            || Reg32(rm == 14 ? Unicorn.ArmRegLr : Unicorn.ArmRegR0 + rm) != 0)
        {
            return;
        }
        ulong it = ItStateAt(address);
        if (it != 0 && !ConditionPasses(it))
        {
            return;
        }
        if (it != 0)
        {
            throw new NotSupportedException($"Division by zero at 0x{address:X8} inside a Thumb IT block with CCR.DIV_0_TRP set: " +
                "the DIVBYZERO UsageFault cannot be taken there (the CPU engine runs an IT block to its end).");
        }
        TakeFault(Nvic.UsageFault, CfsrDivbyzero, null, null, address, $"Run stopped at PC 0x{address:X8}: division by zero with CCR.DIV_0_TRP set (DIVBYZERO)");
    }

    // A block about to run whose FP instructions are not hooked yet gets a hook on each (InstructionReached takes NOCP
    // or preserves the lazy FP state), and its translation goes: true when one was added. VFP: coprocessor 10/11 loads,
    // stores, register transfers and data processing (1110 11xx, coproc 101x).
    private bool HookFloatingPoint(ulong address, uint instructions) =>
        HookWide(address, instructions, _fpHooks, (first, second) => (first & 0xFC00) == 0xEC00 && (second & 0x0E00) == 0x0A00);

    // The 32-bit instructions of the block at `address` that `matches` (first and second halfword) get a hook each, noted
    // in `hooked`; the block's translation goes when one was added (true), so it runs again with them.
    private bool HookWide(ulong address, uint instructions, HashSet<ulong> hooked, Func<uint, uint, bool> matches)
    {
        Span<byte> code = stackalloc byte[(int)Math.Min(4 * (ulong)instructions, 4096)];
        ReadThroughEngine(address, code);
        bool added = false;
        int at = 0;
        for (uint i = 0; i < instructions && at + 1 < code.Length; i++)
        {
            uint first = (uint)(code[at] | code[at + 1] << 8);
            if (ThumbLength(first) == 2)
            {
                at += 2;
                continue;
            }
            uint second = at + 3 < code.Length ? (uint)(code[at + 2] | code[at + 3] << 8) : 0;
            if (matches(first, second) && hooked.Add(address + (ulong)at))
            {
                HookInstruction(address + (ulong)at);
                added = true;
            }
            at += 4;
        }
        if (added)
        {
            InvalidateCode(address, (ulong)at);
        }
        return added;
    }

    // The sequence is only reached through the hook's first installation (its code is never translated before it), so
    // no translated block needs to be invalidated here.
    private void HookItResume()
    {
        if (!_itResumeHooked)
        {
            HookInstruction(_clrexAddress + ItResumeBranch);
            _itResumeHooked = true;
        }
    }

    private protected override void InstructionReaching(ulong address)
    {
        if (_spHooks.Contains(address))
        {
            AlignStackPointers();
        }
    }

    private protected override void InstructionReached(ulong address)
    {
        if (address == _clrexAddress + ItResumeBranch)
        {
            SetRegister(Unicorn.ArmRegEpsr, XpsrThumb | _itResume);
            SetRegister(Unicorn.ArmRegPc, ClrexTarget);
            _itResume = 0;
            return;
        }
        if (_triggers.Addresses.Contains(address))
        {
            _triggers.Reached(address);
            LookAtNextBlock();   // what it pended is taken at the next block, as at a block boundary
        }
        if (_divideHooks.Contains(address))
        {
            CheckDivision(address);
            return;
        }
        // Other hooks (interrupt triggers, stop points) share the callback: only FP instructions are the FPU's.
        if (_fpu is not { } fpu || !_fpHooks.Contains(address))
        {
            return;
        }
        ulong it = ItStateAt(address);
        if (it != 0 && !ConditionPasses(it))
        {
            return;   // ExecuteFPCheck (access, lazy preservation) comes after the condition check (ARMv7-M): a skipped instruction does neither
        }
        uint ipsr = Reg32(Unicorn.ArmRegIpsr) & 0x1FF;
        if (!fpu.Allows(ipsr != 0 || (Reg32(Unicorn.ArmRegControl) & ControlNpriv) == 0))
        {
            if (it != 0)
            {
                // Taking it would push a frame and set a handler the rest of the IT block then runs over.
                throw new NotSupportedException($"FP instruction at 0x{address:X8} inside a Thumb IT block with CPACR.CP10 denying access: " +
                    "the NOCP UsageFault cannot be taken there (the CPU engine runs an IT block to its end).");
            }
            TakeFault(Nvic.UsageFault, CfsrNocp, null, null, address, $"Run stopped at PC 0x{address:X8}: FP instruction with CPACR.CP10 denying access (NOCP)");
            return;
        }
        if (fpu.LazyStateActive)
        {
            // PreserveFPState (B1.5.7): the registers go to the space the exception entry reserved; they stay as they are.
            WriteFloatingPointFrame(fpu.Fpcar);
            fpu.Fpccr &= ~FloatingPointUnit.LazyStateActiveBit;
        }
    }

    private protected override ulong ExecutionStateAt(ulong address) => ItStateAt(address);

    private protected override void ResumeExecutionState(ulong state) => SetRegister(Unicorn.ArmRegEpsr, XpsrThumb | state);

    private protected override bool HooksStopAnywhere => false;

    private protected override (ulong Address, uint Before)? FirstUnstoppable(ulong address, uint size)
    {
        // At a block's entry the CPU's IT state is right (Unicorn clears it once the block starts running), so this sees
        // IT blocks that began before the block too.
        uint it = CpuItState();
        Span<byte> code = stackalloc byte[(int)Math.Min(size, 1024u)];
        ReadThroughEngine(address, code);
        uint before = 0;
        for (int at = 0; at + 1 < code.Length; before++)
        {
            uint first = (uint)(code[at] | code[at + 1] << 8);
            if (it != 0 && WantsStopAt(address + (ulong)at))
            {
                return (address + (ulong)at, before);
            }
            it = AdvanceIt(it, first);
            at += ThumbLength(first);
        }
        return null;
    }

    // The IT state (as xPSR bits) at the instruction at `address`, which a hook reached in the block being run. Unicorn
    // keeps it in its translator only (the CPU's copy is cleared at a block's start), so it is followed from the block's
    // start. A block that begins inside an IT block reads as outside one here; a stop lost there is caught by the next
    // block (FirmwareMachine's BlockEntered).
    private ulong ItStateAt(ulong address)
    {
        uint it = CpuItState();
        ulong start = BlockAddress & ~1UL;
        if (address >= start && address - start <= 1024)
        {
            Span<byte> code = stackalloc byte[(int)(address - start)];
            ReadThroughEngine(start, code);
            for (int at = 0; at + 1 < code.Length;)
            {
                uint first = (uint)(code[at] | code[at + 1] << 8);
                it = AdvanceIt(it, first);
                at += ThumbLength(first);
            }
        }
        return ((ulong)(it & 3) << 25) | ((ulong)(it >> 2) << 10);
    }

    // Whether the condition of an instruction inside an IT block (its IT state as xPSR bits) holds for the CPU's flags
    // (ARMv7-M ConditionPassed: ITSTATE<7:4> is the condition).
    private bool ConditionPasses(ulong itBits)
    {
        uint condition = (uint)((itBits >> 12) & 0xF);   // IT<7:4> sits at xPSR bits 15:12
        uint flags = Reg32(Unicorn.ArmRegXpsr) >> 28;
        bool n = (flags & 8) != 0, z = (flags & 4) != 0, c = (flags & 2) != 0, v = (flags & 1) != 0;
        bool holds = (condition >> 1) switch
        {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => !z && n == v,
            _ => true,
        };
        return (condition & 1) != 0 && condition != 0xF ? !holds : holds;
    }

    // ITSTATE<7:0> from the CPU's xPSR (IT<1:0> at bits 26:25, IT<7:2> at 15:10).
    private uint CpuItState()
    {
        uint xpsr = Reg32(Unicorn.ArmRegXpsr);
        return ((xpsr >> 25) & 3) | (((xpsr >> 10) & 0x3F) << 2);
    }

    // The IT state after the instruction whose first halfword is `first` ran from state `it`: an IT instruction starts a
    // block (inside one an IT is UNPREDICTABLE), and inside one ITAdvance (ARMv7-M A7.3.2) moves to the next condition.
    private static uint AdvanceIt(uint it, uint first) =>
        it == 0 ? (IsIt(first) ? first & 0xFF : 0)
        : (it & 7) == 0 ? 0 : (it & 0xE0) | ((it << 1) & 0x1F);

    // S0-S15 then FPSCR, as the extended frame holds them from its offset 0x20.
    private void WriteFloatingPointFrame(ulong at)
    {
        var main = Memory.Main;
        for (int i = 0; i < FpRegistersStacked; i++)
        {
            main.WriteUInt32(new GuestAddress(at + 4 * (ulong)i), Reg32(Unicorn.ArmRegS0 + i));
        }
        main.WriteUInt32(new GuestAddress(at + 4 * FpRegistersStacked), Reg32(Unicorn.ArmRegFpscr));
    }

    private protected override void Interrupt(uint number)
    {
        ulong pc = Reg32(Unicorn.ArmRegPc);
        if (pc >= ExcReturnFloatingPoint && (Reg32(Unicorn.ArmRegIpsr) & 0x1FF) != 0)
        {
            if (pc < ExcReturnBase && _fpu is null)
            {
                Fail($"Run stopped: exception return with a floating-point frame (EXC_RETURN 0x{pc | 1:X8}) on a CPU without the floating-point extension.");
                return;
            }
            ReturnFromException(pc);   // Unicorn does not implement EXC_RETURN: the branch faults at 0xFFFFFFFx
            return;
        }
        if (number == 2)            // SVC: PC is already past the instruction
        {
            Nvic.Pend(Nvic.SvCall);
            int next = NextToTake();
            if (next == 0 && !Nvic.Nesting)
            {
                return;   // Fuzzware's NVIC never escalates it: it stays pending and is taken once it can be (a handler's return, BASEPRI lowered)
            }
            if (next == 0)
            {
                // An SVC that cannot be taken at once (masked, or not above the running priority) escalates to HardFault (B1.5.4).
                Nvic.Unpend(Nvic.SvCall);
                TakeFault(Nvic.HardFault, 0, null, null, pc,
                    $"Run stopped at PC 0x{pc - 2:X8}: SVC while its priority cannot preempt (PRIMASK, BASEPRI, FAULTMASK or a running handler); it escalates to HardFault");
                return;
            }
            TakeException(next, pc);
            return;
        }
        uint at = ReadInstruction(pc & ~1UL, 2);
        uint before = pc >= 2 ? ReadInstruction((pc & ~1UL) - 2, 2) : 0;
        if (at == BkptSemihosting || before == BkptSemihosting)
        {
            var (result, exit) = _semihosting.Call(Reg32(Unicorn.ArmRegR0), Reg32(Unicorn.ArmRegR1));
            if (exit is { } code)
            {
                Exit(code);
                return;
            }
            SetRegister(Unicorn.ArmRegR0, result);
            if (at == BkptSemihosting)
            {
                SetRegister(Unicorn.ArmRegPc, (pc + 2) | 1);
            }
            return;
        }
        if (number == ExcpBreakpoint)
        {
            // Another BKPT: no debugger halts the core and no DebugMonitor is modelled, so it escalates to HardFault (C1.7),
            // returning to the BKPT itself, as on a board without a probe and in QEMU.
            ulong bkpt = (at & 0xFF00) == 0xBE00 ? pc & ~1UL : (pc & ~1UL) - 2;
            TakeFault(Nvic.HardFault, 0, null, null, bkpt, $"Run stopped at PC 0x{bkpt:X8}: BKPT 0x{ReadInstruction(bkpt, 2) & 0xFF:X2} with no debugger attached", breakpoint: true);
            return;
        }
        // Faults Unicorn raises with the PC on the faulting instruction, as UsageFault or MemManage with their CFSR bits (B3.2.15).
        var (fault, cfsr, what) = number switch
        {
            ExcpUndefined => (Nvic.UsageFault, CfsrUndefinstr, "undefined instruction"),
            ExcpInvalidState => (Nvic.UsageFault, CfsrInvstate, "invalid state (EPSR.T clear)"),
            ExcpNoCoprocessor => (Nvic.UsageFault, CfsrNocp, "coprocessor access"),
            ExcpUnaligned => (Nvic.UsageFault, CfsrUnaligned, "unaligned access"),
            ExcpDivideByZero => (Nvic.UsageFault, CfsrDivbyzero, "division by zero"),
            ExcpPrefetchAbort => (Nvic.MemManage, CfsrIaccviol, "instruction fetch from execute-never memory"),
            // The engine's only data abort on M profile (it asks the machine for every translation, so no MPU or permission
            // fault comes from it) is the alignment fault of an access that must be aligned (LDREX/STREX, LDRD/STRD's word pairs):
            // a UsageFault UNALIGNED whatever CCR.UNALIGN_TRP says (ARMv7-M A3.2.1), as QEMU 7.2 gives it (QEMU 5's MemManage).
            ExcpDataAbort => (Nvic.UsageFault, CfsrUnaligned, "unaligned access (this instruction needs an aligned address)"),
            _ => (0, 0u, ""),
        };
        if (fault == 0)
        {
            Fail($"Run stopped at PC 0x{pc:X8}: CPU exception {number}, which the Cortex-M machine does not model.");
            return;
        }
        TakeFault(fault, cfsr, null, null, pc, $"Run stopped at PC 0x{pc & ~1UL:X8}: {what}");
    }

    // Access faults become precise BusFaults (B3.2.15: PRECISERR with BFAR for data, IBUSERR for a fetch) when
    // a handler can take them; otherwise (no handler in the vector table, lockup) the run ends with the fault.
    private protected override bool TakesAccessFault(AccessKind access, ulong address) => FaultTarget(Nvic.BusFault, probe: true) != 0;

    private protected override void TakeAccessFault(AccessKind access, ulong address, ulong pc)
    {
        bool fetch = access == AccessKind.Execute;
        TakeFault(Nvic.BusFault, fetch ? CfsrIbuserr : CfsrPreciserr | CfsrBfarvalid, null, fetch ? null : address, fetch ? address : pc,
            $"Run stopped at PC 0x{pc & ~1UL:X8}: bus fault at 0x{address:X8}");
    }

    // Which exception takes the fault (0: none can, lockup), without recording anything when probing.
    private int FaultTarget(int fault, bool probe)
    {
        StateWriter? saved = null;
        if (probe)
        {
            saved = new StateWriter();
            Nvic.SaveState(saved);
        }
        int target = Nvic.TakeFault(fault, 0, null, null, (Reg32(Unicorn.ArmRegPrimask) & 1) != 0, Reg32(Unicorn.ArmRegBasepri),
            (Reg32(Unicorn.ArmRegFaultmask) & 1) != 0);
        if (saved is not null)
        {
            Nvic.RestoreState(new StateReader(saved.ToArray()));
        }
        return target != 0 && HasHandler(target) ? target : 0;
    }

    // A vector holding a Thumb address in executable memory; anything else (0, erased flash, data) means the
    // firmware installed no handler, and the run ends with the original fault rather than a lockup after a wild jump.
    private bool HasHandler(int exception)
    {
        var at = new GuestAddress(Nvic.VectorTable + 4 * (ulong)exception);
        if (Memory.Main.FindRegion(at) is not { } table || !table.Permissions.HasFlag(Permissions.Read) || table.Last.Value - at.Value < 3)
        {
            return false;   // no vector table there (a device booting from [boot] entry_point alone): the fault ends the run as it is
        }
        ulong vector = Memory.Main.ReadUInt32(at);
        return (vector & 1) != 0 && Memory.Main.FindRegion(new GuestAddress(vector & ~1UL)) is { } region && region.Permissions.HasFlag(Permissions.Execute);
    }

    // Takes a synchronous fault (its handler, or HardFault by escalation, with CFSR/HFSR/MMFAR/BFAR set); a fault
    // nothing can take is the lockup state (B1.5.15), which ends the run saying what faulted.
    // `existingFrameLr`: the fault is taken on the frame already on the stack (an invalid exception return's INVPC), nothing
    // pushed, with LR holding this value.
    private bool TakeFault(int fault, uint cfsr, ulong? mmfar, ulong? bfar, ulong returnAddress, string what, bool breakpoint = false,
        ulong? existingFrameLr = null)
    {
        if (FaultsEndRun)
        {
            // As a Fuzzware run ends at the engine's error: the fault is the run's end (a crash), not the firmware's handler's.
            SetRegister(Unicorn.ArmRegPc, returnAddress | 1);
            Fail($"{what}.");
            return false;
        }
        int target = Nvic.TakeFault(fault, cfsr, mmfar, bfar, (Reg32(Unicorn.ArmRegPrimask) & 1) != 0, Reg32(Unicorn.ArmRegBasepri),
            (Reg32(Unicorn.ArmRegFaultmask) & 1) != 0, breakpoint);
        if (target == 0 || !HasHandler(target))
        {
            SetRegister(Unicorn.ArmRegPc, returnAddress | 1);
            Fail(target == 0 ? $"{what}; the CPU locks up (a fault in HardFault or with FAULTMASK set)."
                : $"{what}; it would be taken by exception {target}, whose vector holds no handler address in executable memory.");
            return false;
        }
        if (existingFrameLr is { } lr)
        {
            Nvic.Enter(target);
            ulong handler = Memory.Main.ReadUInt32(new GuestAddress(Nvic.VectorTable + 4 * (ulong)target));
            TraceExceptionEntry((ulong)target, ExceptionName(target), returnAddress & ~1UL, handler & ~1UL);
            SetRegister(Unicorn.ArmRegLr, lr);
            SetRegister(Unicorn.ArmRegIpsr, (ulong)target);
            SetRegister(Unicorn.ArmRegEpsr, XpsrThumb);
            PrivilegeChanged();
            GoThroughClrex(handler | 1);
            return true;
        }
        TakeException(target, returnAddress);
        return true;
    }

    // Unicorn stops the engine at an undefined instruction and at one run with EPSR.T clear (PC on it) instead of raising them.
    private protected override bool TakeEngineStop(CpuEngineException error)
    {
        if (error.Error != CpuEngineError.InvalidInstruction)
        {
            return false;
        }
        ulong pc = Reg32(Unicorn.ArmRegPc);
        if ((Reg32(Unicorn.ArmRegXpsr) & XpsrThumb) == 0)
        {
            // The block holds the 4 bytes Unicorn fetched as one ARM instruction, counted as Thumb when it was entered
            // (two instructions, and past a limit of one): the attempt is one instruction, as an undefined one is.
            CountToCurrentInstruction(pc);
        }
        return (Reg32(Unicorn.ArmRegXpsr) & XpsrThumb) == 0
            ? TakeFault(Nvic.UsageFault, CfsrInvstate, null, null, pc, $"Run stopped at PC 0x{pc:X8}: invalid state (EPSR.T clear)")
            : TakeFault(Nvic.UsageFault, CfsrUndefinstr, null, null, pc, $"Run stopped at PC 0x{pc:X8}: undefined instruction");
    }

    private protected override void CpuStateRestored() => PrivilegeChanged();   // the registers came back through plain writes

    private protected override bool GoesOnAfterEngineStop(CpuEngineException error) =>
        error.Error == CpuEngineError.InvalidInstruction && StoppedAfterHint(Reg32(Unicorn.ArmRegPc));

    // YIELD and WFE end their block and raise the engine's yield exception, which Unicorn reports as an invalid
    // instruction, with the PC already after the hint. Both go on as NOPs, as in QEMU (a WFE may complete at once:
    // ARMv7-M B1.5.18). An undefined instruction stops with the PC on itself, never right after a hint ending a block.
    private bool StoppedAfterHint(ulong pc)
    {
        ulong start = BlockAddress & ~1UL;
        ulong end = start + BlockBytes;
        if (BlockBytes == 0 || (pc & ~1UL) != end)
        {
            return false;
        }
        ulong last = start;
        for (ulong at = start; at < end; at += (ulong)ThumbLength(ReadInstruction(at, 2)))
        {
            last = at;
        }
        uint first = ReadInstruction(last, 2);
        return first is YieldInstruction or WfeInstruction || (first == HintWide && ReadInstruction(last + 2, 2) is 0x8001 or 0x8002);
    }

    // Exception entry (ARMv7-M ARM B1.5.6): push R0–R3, R12, LR, the return address and xPSR (with the
    // interrupted IPSR) on an 8-byte aligned frame of the stack in use (PSP in thread mode with
    // CONTROL.SPSEL, else MSP); the handler runs on MSP with CONTROL.SPSEL = 0 and LR = EXC_RETURN.
    // With CONTROL.FPCA the frame is the extended one, its FP part written now or (LSPEN) reserved for later.
    private void TakeException(int number, ulong returnAddress, bool thumb = true)
    {
        CompleteInstructionTrace();
        // A tail-chained exception stacks the IT state of the return it takes the place of, and its Thumb state (thumb:
        // clear when that return goes to code entered by a BX to an even address). EPSR is written for the stacking and
        // for a stop right here (the interrupt limit); going to the handler sets T again.
        ulong pendingIt = _itResume;
        _itResume = 0;
        if (!thumb)
        {
            SetRegister(Unicorn.ArmRegEpsr, 0);
        }
        if (InterruptLimitReached(counted: number != Nvic.SysTick, returnAddress))
        {
            if (pendingIt != 0)
            {
                SetRegister(Unicorn.ArmRegEpsr, XpsrThumb | pendingIt);   // the run ends here: continuing resumes inside the IT block
            }
            return;   // Fuzzware's NVIC ends the run here, before the frame is pushed; the exception stays pending
        }
        // SP may still hold an odd value written by the instruction before (its hook is on the next instruction, and an
        // interrupt can be taken at the block that starts there): the frame's address and the realignment bit depend
        // only on SP's bits above 1, so stacking and the SP after the return are the same as from the aligned value.
        ulong ipsr = Reg32(Unicorn.ArmRegIpsr) & 0x1FF;
        ulong control = Reg32(Unicorn.ArmRegControl);
        bool process = ipsr == 0 && (control & 2) != 0;
        bool extended = _fpu is not null && (control & ControlFpca) != 0;
        var main = Memory.Main;
        ulong sp = Reg32(process ? Unicorn.ArmRegPsp : Unicorn.ArmRegSp);
        ulong xpsr = Reg32(Unicorn.ArmRegXpsr) | pendingIt;
        bool realign = (sp & 4) != 0;
        ulong frame = (sp - (extended ? ExtendedFrameSize : BasicFrameSize)) & ~7UL;
        Span<uint> values =
        [
            Reg32(Unicorn.ArmRegR0), Reg32(Unicorn.ArmRegR1), Reg32(Unicorn.ArmRegR2), Reg32(Unicorn.ArmRegR3),
            Reg32(Unicorn.ArmRegR12), Reg32(Unicorn.ArmRegLr), (uint)(returnAddress & ~1UL),
            (uint)((xpsr & ~0x3FFUL) | ipsr | (realign ? 1UL << 9 : 0)),   // EPSR.T as it is: clear after a BX to an even address
        ];
        for (int i = 0; i < values.Length; i++)
        {
            main.WriteUInt32(new GuestAddress(frame + 4 * (ulong)i), values[i]);
        }
        if (extended)
        {
            StackFloatingPoint(frame, thread: ipsr == 0, privileged: ipsr != 0 || (control & ControlNpriv) == 0);
        }
        Nvic.Enter(number);
        ulong handler = main.ReadUInt32(new GuestAddress(Nvic.VectorTable + 4 * (ulong)number));
        TraceExceptionEntry((ulong)number, ExceptionName(number), returnAddress & ~1UL, handler & ~1UL);
        if (process)
        {
            // Still in thread mode: Unicorn switches the banked SP on a CONTROL write only there.
            SetRegister(Unicorn.ArmRegPsp, frame);
            SetRegister(Unicorn.ArmRegControl, control & ~2UL);
            // The handler runs on MSP, which an MSR just before may have left odd (its hook is on the thread's next instruction).
            ulong msp = Reg32(Unicorn.ArmRegSp);
            if ((msp & 3) != 0)
            {
                SetRegister(Unicorn.ArmRegSp, msp & ~3UL);
            }
        }
        else
        {
            SetRegister(Unicorn.ArmRegSp, frame);
        }
        ulong excReturn = process ? 0xFFFF_FFFDUL : ipsr == 0 ? 0xFFFF_FFF9UL : 0xFFFF_FFF1UL;
        SetRegister(Unicorn.ArmRegLr, extended ? excReturn & ~ExcReturnBasicFrame : excReturn);
        SetRegister(Unicorn.ArmRegIpsr, (ulong)number);
        // The handler starts outside any IT block (the interrupted one's state is in the stacked xPSR).
        SetRegister(Unicorn.ArmRegEpsr, XpsrThumb);
        if (extended)
        {
            SetRegister(Unicorn.ArmRegControl, Reg32(Unicorn.ArmRegControl) & ~ControlFpca);   // the handler starts without FP context
        }
        PrivilegeChanged();
        GoThroughClrex(handler | 1);
    }

    // Checked before the frame is popped, as QEMU does: EXC_RETURN (bit 0 cleared by the branch) 0x…F0/E0 names handler
    // mode (whether the frame holds a handler's state is checked after the pop); 0x…F8/E8 and 0x…FC/EC thread mode, which
    // no other exception may still be running unless CCR.NONBASETHRDENA allows it.
    private bool IsValidReturn(ulong excReturn, int leaving) => (excReturn & 0xF) switch
    {
        0x0 => true,
        0x8 or 0xC => !Nvic.AnyOtherActive(leaving) || (Nvic.ScbBlock.Peek("CCR") & 1) != 0,
        _ => false,
    };

    // The exception that preempts now under the CPU's masks (PRIMASK, BASEPRI, FAULTMASK), or 0.
    private int NextToTake() => Nvic.NextToTake((Reg32(Unicorn.ArmRegPrimask) & 1) != 0, Reg32(Unicorn.ArmRegBasepri),
        (Reg32(Unicorn.ArmRegFaultmask) & 1) != 0);

    // Unicorn translates with privilege flags it caches (handler mode, CONTROL.nPRIV), which its register writes of
    // IPSR and CONTROL leave stale: CPSID/CPSIE in a handler entered from unprivileged thread mode ran as the NOPs they
    // are unprivileged, and after the return they would act. Writing NZCV back unchanged makes the engine recompute them.
    private void PrivilegeChanged() => SetRegister(Unicorn.ArmRegApsrNzcv, Reg32(Unicorn.ArmRegApsrNzcv));

    // The FP part of an extended frame: with LSPEN only FPCAR and FPCCR (LSPACT, who was running, which faults
    // could be taken then: UpdateFPCCR); else S0-S15 and FPSCR now, which QEMU then clears.
    private void StackFloatingPoint(ulong frame, bool thread, bool privileged)
    {
        var fpu = _fpu!;
        if ((fpu.Fpccr & FloatingPointUnit.LazyStackingBit) != 0)
        {
            bool primask = (Reg32(Unicorn.ArmRegPrimask) & 1) != 0, faultmask = (Reg32(Unicorn.ArmRegFaultmask) & 1) != 0;
            uint basepri = Reg32(Unicorn.ArmRegBasepri);
            bool Ready(int fault) => Nvic.IsReady(fault, primask, basepri, faultmask);
            const ulong recorded = 0x57B;   // LSPACT USER THREAD HFRDY MMRDY BFRDY MONRDY UFRDY
            fpu.Fpcar = frame + BasicFrameSize;
            fpu.Fpccr = (fpu.Fpccr & ~recorded) | FloatingPointUnit.LazyStateActiveBit | (privileged ? 0 : 1UL << 1) | (thread ? 1UL << 3 : 0)
                | (Ready(Nvic.HardFault) ? 1UL << 4 : 0) | (Ready(Nvic.MemManage) ? 1UL << 5 : 0) | (Ready(Nvic.BusFault) ? 1UL << 6 : 0)
                | (Ready(Nvic.UsageFault) ? 1UL << 10 : 0);
            return;
        }
        if (!fpu.Allows(privileged))
        {
            throw new NotSupportedException("Exception entry must stack FP registers (CONTROL.FPCA, FPCCR.LSPEN clear) while CPACR denies access: "
                + "the NOCP UsageFault on stacking is not modelled.");
        }
        WriteFloatingPointFrame(frame + BasicFrameSize);
        for (int i = 0; i < FpRegistersStacked; i++)
        {
            SetRegister(Unicorn.ArmRegS0 + i, 0);
        }
        SetRegister(Unicorn.ArmRegFpscr, 0);
    }

    // Runs the CLREX sequence, which continues at `target`. It ends with an interworking load of the PC: bit 0 of the
    // target is the Thumb state it goes on in.
    private void GoThroughClrex(ulong target)
    {
        ClrexTarget = (uint)target;
        SetRegister(Unicorn.ArmRegPc, _clrexAddress | 1);
    }

    // Both CLREX sequences go on at ClrexTarget (EPSR.T in bit 0).
    private protected override ulong? MachineCodeLeadsTo(ulong pc) => pc - _clrexAddress < Granule ? ClrexTarget & ~1UL : null;

    // Where the CLREX sequence branches to: the literal after its two instructions.
    private unsafe uint ClrexTarget
    {
        get => *(uint*)(_clrexHost + 8);
        set => *(uint*)(_clrexHost + 8) = value;
    }

    // Exception return: unstack from the stack EXC_RETURN names, restore the flags and the interrupted
    // IPSR (and CONTROL.SPSEL for the process stack), then take whatever now preempts (tail-chaining).
    // An extended frame (EXC_RETURN bit 4 clear) also gives back S0-S15 and FPSCR, unless their lazy
    // preservation is still pending (then the registers never changed); CONTROL.FPCA = NOT bit 4.
    private void ReturnFromException(ulong excReturn)
    {
        bool process = (excReturn & 0xF) == 0xC;   // 0xFFFFFFFD, bit 0 cleared by the branch
        bool extended = (excReturn & ExcReturnBasicFrame) == 0;
        var main = Memory.Main;
        int leaving = (int)(Reg32(Unicorn.ArmRegIpsr) & 0x1FF);
        SetRegister(Unicorn.ArmRegFaultmask, 0);   // every return clears it but NMI's, which is not modelled (B1.5.8 DeActivate)
        if (!IsValidReturn(excReturn, leaving))
        {
            // Not a return (B1.5.8 ExceptionReturn): the exception is deactivated and an INVPC UsageFault taken in its place
            // on the existing frame (nothing is pushed: its handler sees the frame the return would have popped), with LR
            // holding the EXC_RETURN, as QEMU takes it.
            Nvic.Leave(leaving);
            TakeFault(Nvic.UsageFault, CfsrInvpc, null, null, excReturn,
                $"Run stopped at an exception return from {ExceptionName(leaving)}: EXC_RETURN 0x{excReturn | 1:X8} is invalid here (INVPC)",
                existingFrameLr: excReturn | 1);
            return;
        }
        Nvic.Leave(leaving);
        ulong frame = Reg32(process ? Unicorn.ArmRegPsp : Unicorn.ArmRegSp);
        Span<uint> v = stackalloc uint[8];
        for (int i = 0; i < 8; i++)
        {
            v[i] = main.ReadUInt32(new GuestAddress(frame + 4 * (ulong)i));
        }
        ReadOnlySpan<int> registers = [Unicorn.ArmRegR0, Unicorn.ArmRegR1, Unicorn.ArmRegR2, Unicorn.ArmRegR3, Unicorn.ArmRegR12, Unicorn.ArmRegLr];
        for (int i = 0; i < registers.Length; i++)
        {
            SetRegister(registers[i], v[i]);
        }
        ulong sp = (frame + (extended ? ExtendedFrameSize : BasicFrameSize)) | (((v[7] >> 9) & 1) != 0 ? 4UL : 0);
        if (_fpu is { } fpu)
        {
            if (extended)
            {
                UnstackFloatingPoint(fpu, frame + BasicFrameSize, privileged: !process && (excReturn & 0xF) == 0x0 || (Reg32(Unicorn.ArmRegControl) & ControlNpriv) == 0);
            }
            // Still in handler mode, where CONTROL may be written whatever nPRIV says.
            ulong control = Reg32(Unicorn.ArmRegControl);
            SetRegister(Unicorn.ArmRegControl, extended ? control | ControlFpca : control & ~ControlFpca);
        }
        SetRegister(Unicorn.ArmRegXpsr, v[7] & 0xFFFF_FC00);
        if (process)
        {
            SetRegister(Unicorn.ArmRegPsp, sp);
            SetRegister(Unicorn.ArmRegIpsr, 0);
            SetRegister(Unicorn.ArmRegControl, Reg32(Unicorn.ArmRegControl) | 2);   // thread mode now: SP becomes PSP
        }
        else
        {
            SetRegister(Unicorn.ArmRegSp, sp);
            SetRegister(Unicorn.ArmRegIpsr, v[7] & 0x1FF);
        }
        PrivilegeChanged();
        if (((excReturn & 0xF) == 0x0) != ((Reg32(Unicorn.ArmRegIpsr) & 0x1FF) != 0))
        {
            // The frame popped does not hold the mode EXC_RETURN names (handler mode with a stacked IPSR of 0, or thread
            // mode with one of an exception): an INVPC UsageFault on a frame pushed from the state just restored, as QEMU.
            if (TakeFault(Nvic.UsageFault, CfsrInvpc, null, null, v[6],
                $"Run stopped at an exception return from {ExceptionName(leaving)}: EXC_RETURN 0x{excReturn | 1:X8} names another mode than the frame it pops (INVPC)"))
            {
                SetRegister(Unicorn.ArmRegLr, excReturn | 1);
            }
            return;
        }
        if ((v[7] & XpsrIt) == 0)
        {
            // EPSR.T from the stacked xPSR (clear when the exception came at a BX to an even address): going on without
            // it takes the INVSTATE UsageFault there, as on the chip, rather than running the code as Thumb.
            GoThroughClrex((v[6] & ~1UL) | ((v[7] & XpsrThumb) != 0 ? 1UL : 0));
        }
        else
        {
            ClrexTarget = v[6] | 1;
            _itResume = v[7] & XpsrIt;
            HookItResume();
            SetRegister(Unicorn.ArmRegEpsr, XpsrThumb);
            SetRegister(Unicorn.ArmRegPc, (_clrexAddress + ItResumeSequence) | 1);
        }
        TraceExceptionReturn((ulong)leaving, ExceptionName(leaving), v[6] & ~1UL);
        int next = NextToTake();
        if (next != 0)
        {
            TakeException(next, v[6], thumb: (v[7] & XpsrThumb) != 0);
        }
    }

    private void UnstackFloatingPoint(FloatingPointUnit fpu, ulong at, bool privileged)
    {
        if (fpu.LazyStateActive)
        {
            fpu.Fpccr &= ~FloatingPointUnit.LazyStateActiveBit;
            return;
        }
        if (!fpu.Allows(privileged))
        {
            throw new NotSupportedException("Exception return must unstack FP registers while CPACR denies access: the NOCP UsageFault on unstacking is not modelled.");
        }
        var main = Memory.Main;
        for (int i = 0; i < FpRegistersStacked; i++)
        {
            SetRegister(Unicorn.ArmRegS0 + i, main.ReadUInt32(new GuestAddress(at + 4 * (ulong)i)));
        }
        SetRegister(Unicorn.ArmRegFpscr, main.ReadUInt32(new GuestAddress(at + 4 * FpRegistersStacked)));
    }

    private uint Reg32(int id) => (uint)Register(id);

    private static string ExceptionName(int number) => number switch
    {
        1 => "Reset",
        2 => "NMI",
        Nvic.HardFault => "HardFault",
        Nvic.MemManage => "MemManage",
        Nvic.BusFault => "BusFault",
        Nvic.UsageFault => "UsageFault",
        Nvic.SvCall => "SVCall",
        12 => "DebugMonitor",
        Nvic.PendSv => "PendSV",
        Nvic.SysTick => "SysTick",
        >= Nvic.FirstExternal => $"IRQ{number - Nvic.FirstExternal}",
        _ => "reserved",
    };

    private protected override IEnumerable<RegisterState> ExtraStateRegisters() =>
    [
        new("FAULTMASK", Reg32(Unicorn.ArmRegFaultmask), 4),
        new("IPSR", Reg32(Unicorn.ArmRegIpsr) & 0x1FF, 4),
    ];

    // NVIC exception numbers: 1-15 the system exceptions, 16 + n external interrupt n.
    private protected override InterruptState InterruptControllerState()
    {
        var (enabled, pending, active) = (new List<int>(), new List<int>(), new List<int>());
        for (int exception = 1; exception < Nvic.FirstExternal + Nvic.ExternalInterrupts; exception++)
        {
            if (exception >= Nvic.FirstExternal && Nvic.IsEnabled(exception))
            {
                enabled.Add(exception);
            }
            if (Nvic.IsPending(exception))
            {
                pending.Add(exception);
            }
            if (Nvic.IsActive(exception))
            {
                active.Add(exception);
            }
        }
        int ipsr = (int)(Reg32(Unicorn.ArmRegIpsr) & 0x1FF);
        return new InterruptState("NVIC", ipsr == 0 ? null : ipsr, enabled, pending, active);
    }
}
