using MemGate.Devices;
using MemGate.Engine;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;   // only for Unicorn's register ids, which are the engine's ids for this architecture
using MemGate.Peripherals;
using MemGate.Peripherals.RiscV;

namespace MemGate.Emulation;

/// <summary>
/// A RISC-V (RV32 or RV64) machine after QEMU's <c>virt</c> board: the CLINT (<see cref="RiscVClint"/>, from
/// the device file or at 0x02000000) raises machine timer and software interrupts; UARTs, the SiFive test
/// finisher and other peripherals come from the device file's models.
/// Firmware starts in machine mode at the image's entry point with a0 = hart id 0 and stays in machine
/// mode (traps are taken to M-mode with MPP = M).
/// </summary>
/// <remarks>
/// Unicorn does not connect a CLINT to the CPU, so interrupts are taken here at block boundaries as the
/// privileged spec (3.1.6–3.1.20) has it: when MTIE/MSIE in mie and MIE in mstatus allow, mepc = the
/// interrupted PC, mcause = interrupt | 7 (timer) or 3 (software), MPIE = MIE, MIE = 0, MPP = M, and the
/// PC goes to mtvec (its base, or base + 4 × cause when vectored); <c>mret</c> is Unicorn's own.
/// Synchronous traps (ecall, ebreak, illegal instructions, access faults, misaligned atomics) go to mtvec
/// with mepc, mcause and mtval as QEMU sets them; without an mtvec they end the run.
/// </remarks>
public sealed class RiscVMachine : FirmwareMachine
{
    private static readonly ulong[] Halts = [0xFFFF_F000, 0x7FFF_F000, 0x0FFF_F000];
    private const ulong MstatusMie = 1UL << 3;
    private const ulong MstatusMpie = 1UL << 7;
    private const ulong MstatusMpp = 3UL << 11;
    private const ulong MstatusMprv = 1UL << 17;
    private const ulong PrivilegeMachine = 3;   // Unicorn's PRIV register (RISC-V debug specification's encoding)
    private const int TimerCause = 7;
    private const int SoftwareCause = 3;
    private const uint EcallFromUser = 8;
    private const uint Wfi = 0x1050_0073;
    private const ulong FetchAccessFault = 1;
    private const ulong IllegalInstruction = 2;
    private const ulong BreakpointCause = 3;
    private const ulong LoadMisaligned = 4;
    private const ulong LoadAccessFault = 5;
    private const ulong StoreMisaligned = 6;
    private const ulong StoreAccessFault = 7;
    private const uint Ebreak = 0x0010_0073;
    private const uint CompressedEbreak = 0x9002;
    private const uint MipCsr = 0x344;
    private const ulong MipMsip = 1UL << 3;
    private const ulong MipMtip = 1UL << 7;

    private readonly RiscVClint _clint;
    private readonly int _xlen;

    /// <summary>The register width: 32 or 64.</summary>
    internal int Xlen => _xlen;
    private readonly HashSet<ulong> _mipHooks = [];

    private RiscVMachine(ICpuEngine engine, DeviceMemory memory, PeripheralSet peripherals, TextWriter output, TextWriter? errorOutput, int xlen, RiscVClint clint)
        : base(engine, memory, peripherals, output, errorOutput, engineOwned: false)
    {
        _xlen = xlen;
        _clint = clint;
        engine.TranslateDirectly(TranslatesDirectly);
    }

    // The hart's mode as MPP holds it: 0 user, 1 supervisor, 3 machine (Unicorn's PRIV register, without its virtualisation bit).
    private ulong Privilege => Register(Unicorn.RiscvRegPriv) & 3;

    // Machine mode translates nothing (fetches always, loads and stores unless MPRV lends them another mode's MMU).
    // Locked PMP entries, which restrict even machine mode, are not visible through Unicorn's registers, so they do not
    // decline direct translation.
    private bool TranslatesDirectly(ulong page, AccessKind access) =>
        Register(Unicorn.RiscvRegPriv) == PrivilegeMachine
        && (access == AccessKind.Execute || Register(Unicorn.RiscvRegMstatus) is var status && ((status & MstatusMprv) == 0 || (status & MstatusMpp) == MstatusMpp));

    /// <summary>The core-local interruptor (timer and software interrupts).</summary>
    public RiscVClint Clint => _clint;

    /// <summary>Builds the machine for an rv32*/rv64* device (see <see cref="FirmwareMachine.Create"/>).</summary>
    /// <exception cref="NotSupportedException">The device is not RISC-V, or Unicorn is not installed.</exception>
    public static new RiscVMachine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions? options = null)
    {
        options ??= new FirmwareMachineOptions();
        ArgumentNullException.ThrowIfNull(device);
        string architecture = device.Architecture.ToLowerInvariant();
        int xlen = architecture.StartsWith("rv32", StringComparison.Ordinal) ? 32 : architecture.StartsWith("rv64", StringComparison.Ordinal) ? 64
            : throw new NotSupportedException($"Device '{device.Name}' is {device.Architecture}; the RISC-V machine runs rv32* and rv64*.");
        return Build(device, output, options, EngineRegisterFile.RiscV(xlen), RiscVClint.Info.Model, (engine, memory, peripherals) =>
            new RiscVMachine(engine, memory, peripherals, output, options.ErrorOutput, xlen, peripherals.Find<RiscVClint>()!));
    }

    private protected override int ProgramCounterRegister => Unicorn.RiscvRegPc;

    // The privilege level last: CSR writes need machine mode, which a fresh machine is in. mip's timer and
    // software bits follow the CLINT, whose state the models carry.
    private protected override IReadOnlyList<SnapshotRegister> SnapshotRegisters => _snapshotRegisters ??=
    [
        .. Enumerable.Range(1, 31).Select(i => new SnapshotRegister($"x{i}", Unicorn.RiscvRegX0 + i, _xlen / 8)),
        .. Enumerable.Range(0, 32).Select(i => new SnapshotRegister($"f{i}", Unicorn.RiscvRegF0 + i, 8)),
        new("fcsr", Unicorn.RiscvRegFcsr, _xlen / 8) { Read = () => WithFloatingPoint(() => Register(Unicorn.RiscvRegFcsr)), Write = v => WithFloatingPoint(() => { SetRegister(Unicorn.RiscvRegFcsr, v); return 0; }) },
        .. new (string Name, int Id)[]
        {
            ("mstatus", Unicorn.RiscvRegMstatus), ("mie", Unicorn.RiscvRegMie), ("mtvec", Unicorn.RiscvRegMtvec), ("mscratch", Unicorn.RiscvRegMscratch),
            ("mepc", Unicorn.RiscvRegMepc), ("mcause", Unicorn.RiscvRegMcause), ("mtval", Unicorn.RiscvRegMtval), ("medeleg", Unicorn.RiscvRegMedeleg),
            ("mideleg", Unicorn.RiscvRegMideleg), ("satp", Unicorn.RiscvRegSatp),
        }.Select(c => new SnapshotRegister(c.Name, c.Id, _xlen / 8)),
        new("mip", Unicorn.RiscvRegMip, _xlen / 8, Verify: false),
        new("pc", Unicorn.RiscvRegPc, _xlen / 8), new("priv", Unicorn.RiscvRegPriv, _xlen / 8),
    ];

    private SnapshotRegister[]? _snapshotRegisters;

    // fcsr is inaccessible while mstatus.FS is off (the engine then returns garbage): turn it on around the access.
    private ulong WithFloatingPoint(Func<ulong> access)
    {
        const ulong fsDirty = 3UL << 13;
        ulong status = Register(Unicorn.RiscvRegMstatus);
        SetRegister(Unicorn.RiscvRegMstatus, status | fsDirty);
        try
        {
            return access();
        }
        finally
        {
            SetRegister(Unicorn.RiscvRegMstatus, status);
        }
    }

    private protected override IReadOnlyList<ulong> HaltCandidates => Halts;

    // The result in a0, back to ra.
    private protected override void ReturnFromFunction(ulong? value)
    {
        if (value is { } result)
        {
            SetRegister(Unicorn.RiscvRegA0, result);
        }
        SetRegister(Unicorn.RiscvRegPc, Register(Unicorn.RiscvRegX0 + 1));
    }

    private protected override uint HaltInstructions => 0x0000_006F;   // j .

    // Instructions whose two low bits are 0b11 are 32 bits long; the rest are compressed (16 bits).
    private protected override uint CountInstructions(ulong address, ReadOnlySpan<byte> code)
    {
        uint count = 0;
        for (int i = 0; i < code.Length; count++)
        {
            i += (code[i] & 3) == 3 ? 4 : 2;
        }
        return count;
    }

    private protected override ulong Reset()
    {
        Peripherals.Reset();
        for (int x = Unicorn.RiscvRegX0 + 1; x <= Unicorn.RiscvRegX0 + 31; x++)
        {
            SetRegister(x, 0);   // x1-x31 zero as QEMU has them, not the last run's values; a0 is the hart id, 0
        }
        SetRegister(Unicorn.RiscvRegMstatus, 0);
        SetRegister(Unicorn.RiscvRegMie, 0);
        // [boot] vector_table is where traps go from the start (mtvec), as boot ROMs that set it before the firmware runs leave it.
        SetRegister(Unicorn.RiscvRegMtvec, Memory.Device.Boot.VectorTable ?? 0);
        if (Memory.Device.Boot.InitialStackPointer is { } sp)
        {
            SetRegister(Unicorn.RiscvRegSp, sp);
        }
        return StartAddress();
    }

    // Unicorn halts on WFI with the PC after it; time jumps to the next CLINT event and the run goes on
    // at that PC, where the next block entry takes the interrupt if mstatus allows.
    private protected override bool WaitsForInterrupt(ulong pc) => pc >= 4 && ReadInstruction(pc - 4, 4) == Wfi;

    private protected override bool WakeUp(ulong pc, out ulong resume)
    {
        resume = pc;
        ulong mie = Register(Unicorn.RiscvRegMie);
        if (_clint.SoftwarePending && (mie & (1UL << SoftwareCause)) != 0)
        {
            return true;
        }
        ulong wait = _clint.TicksToCompare;
        if ((mie & (1UL << TimerCause)) == 0 || wait == ulong.MaxValue)
        {
            return false;
        }
        Peripherals.Advance(wait);   // every model's time moves with the CLINT's
        return true;
    }

    // Every block while an interrupt is pending (mstatus/mie change without telling anyone), else at the timer compare.
    private protected override ulong NextEvent() => _clint.SoftwarePending ? 0 : Peripherals.TicksToEvent;

    private protected override void BlockEntered(ulong address)
    {
        if (!_clint.TimerPending && !_clint.SoftwarePending)
        {
            return;
        }
        ulong mstatus = Register(Unicorn.RiscvRegMstatus);
        ulong mie = Register(Unicorn.RiscvRegMie);
        if ((mstatus & MstatusMie) == 0 && Privilege == PrivilegeMachine)
        {
            return;   // below machine mode, machine interrupts are taken whatever MIE says (3.1.6.1)
        }
        int cause = _clint.SoftwarePending && (mie & (1UL << SoftwareCause)) != 0 ? SoftwareCause
            : _clint.TimerPending && (mie & (1UL << TimerCause)) != 0 ? TimerCause : -1;
        if (cause >= 0)
        {
            UncountBlock(address);   // taken before the block runs (as QEMU checks at a block's start)
            Trap(address, (1UL << (_xlen - 1)) | (uint)cause, mstatus, 0);
        }
    }

    // Unicorn reports a synchronous exception with the PC already past the instruction (4 bytes, whatever its length).
    private protected override ulong TrappingInstruction(uint number) => number < 16 ? ReadPc() - 4 : ReadPc();

    private protected override bool TrapAddressIsExact => true;

    // Unicorn hands synchronous traps (ecall, illegal instruction, misaligned atomics) to the hook with
    // the PC already 4 past the trapping instruction (whatever its length); they are delivered to the
    // firmware's mtvec with mepc = that instruction and mtval as QEMU fills it, or end the run without one.
    private protected override void Interrupt(uint number)
    {
        ulong pc = ReadPc() - 4;
        if (number == IllegalInstruction && ReadsTime(pc))
        {
            return;
        }
        if (number < 16 && Register(Unicorn.RiscvRegMtvec) != 0)
        {
            // QEMU adds the privilege level to ECALL's cause when it delivers the trap (8 from U, 9 from S, 11 from M), which Unicorn skips.
            ulong cause = number == EcallFromUser ? EcallFromUser + Privilege : number;
            Trap(pc, cause, Register(Unicorn.RiscvRegMstatus), TrapValue(cause, pc));
            return;
        }
        SetRegister(Unicorn.RiscvRegPc, pc);
        Fail($"Run stopped at PC 0x{pc:X8}: trap {number} ({TrapName(number)}) and no trap vector (mtvec) is set.");
    }

    // rdtime (and rdtimeh on RV32): the time CSR mirrors the CLINT's MTIME, as QEMU's virt provides it; the engine has no
    // time source and raises an illegal instruction. Only reads are served (CSRRS/CSRRC with x0, or their immediate forms
    // with 0): a write to the read-only CSR stays illegal.
    private bool ReadsTime(ulong pc)
    {
        uint instruction = ReadInstruction(pc, 4);
        uint csr = instruction >> 20, funct3 = (instruction >> 12) & 7, source = (instruction >> 15) & 31;
        bool time = csr == TimeCsr || (csr == TimeHighCsr && _xlen == 32);
        if ((instruction & 0x7F) != 0x73 || !time || funct3 is not (2 or 3 or 6 or 7) || source != 0)
        {
            return false;
        }
        if (Privilege != PrivilegeMachine && (Register(Unicorn.RiscvRegMcounteren) & 2) == 0)
        {
            return false;   // below machine mode only where mcounteren.TM lets it through, as QEMU
        }
        SyncTime();
        int rd = (int)((instruction >> 7) & 31);
        if (rd != 0)
        {
            SetRegister(Unicorn.RiscvRegX0 + rd, Mask(csr == TimeHighCsr ? _clint.Time >> 32 : _clint.Time));
        }
        SetRegister(Unicorn.RiscvRegPc, pc + 4);
        return true;
    }

    private const uint TimeCsr = 0xC01, TimeHighCsr = 0xC81;

    // Unicorn stops the engine at EBREAK (PC on it) instead of raising the exception.
    private protected override bool TakeEngineStop(CpuEngineException error)
    {
        ulong pc = ReadPc();
        if (Register(Unicorn.RiscvRegMtvec) == 0 || !IsBreakpoint(pc))
        {
            return false;
        }
        Trap(pc, BreakpointCause, Register(Unicorn.RiscvRegMstatus), 0);
        return true;
    }

    private bool IsBreakpoint(ulong pc) => ReadInstruction(pc, 2) == CompressedEbreak || ReadInstruction(pc, 4) == Ebreak;

    // Load, store and fetch access faults (causes 5, 7, 1) with mtval = the address, as on QEMU, when a trap vector is set.
    private protected override bool TakesAccessFault(AccessKind access, ulong address) => Register(Unicorn.RiscvRegMtvec) != 0;

    private protected override void TakeAccessFault(AccessKind access, ulong address, ulong pc)
    {
        var (cause, at) = access switch
        {
            AccessKind.Read => (LoadAccessFault, pc),
            AccessKind.Write => (StoreAccessFault, pc),
            _ => (FetchAccessFault, address),
        };
        Trap(at, cause, Register(Unicorn.RiscvRegMstatus), address);
    }

    // mtval as QEMU 7.2 sets it: the instruction's bits for an illegal one, the address for a misaligned access, else 0.
    private ulong TrapValue(ulong cause, ulong pc)
    {
        uint low = ReadInstruction(pc, 2);
        uint instruction = (low & 3) == 3 ? ReadInstruction(pc, 4) : low;
        switch (cause)
        {
            case IllegalInstruction:
                return instruction;
            case LoadMisaligned or StoreMisaligned when (instruction & 3) == 3:
                // LR, SC and AMOs address rs1 itself; loads and stores add their 12-bit offset.
                ulong rs1 = Register(Unicorn.RiscvRegX0 + (int)((instruction >> 15) & 31));
                long offset = (instruction & 0x7F) switch
                {
                    0x03 => (int)instruction >> 20,
                    0x23 => ((int)instruction >> 25 << 5) | (int)((instruction >> 7) & 31),
                    _ => 0,
                };
                return Mask(rs1 + (ulong)offset);
            default:
                return 0;
        }
    }

    private ulong Mask(ulong value) => _xlen == 32 ? value & 0xFFFF_FFFF : value;

    // Trap entry in machine mode (privileged spec 3.1.6): mepc, mcause, mtval, MPIE = MIE, MIE = 0, MPP = M, PC = mtvec.
    private void Trap(ulong pc, ulong cause, ulong mstatus, ulong value)
    {
        CompleteInstructionTrace();
        bool interruptCause = (cause >> (_xlen - 1)) != 0;
        ulong code = cause & ~(1UL << (_xlen - 1));
        ulong vector = Register(Unicorn.RiscvRegMtvec);
        TraceExceptionEntry(code, CauseName(interruptCause, code), pc, (vector & ~3UL) + ((vector & 3) == 1 && interruptCause ? 4 * (code & 0xFF) : 0));
        SetRegister(Unicorn.RiscvRegMepc, pc);
        SetRegister(Unicorn.RiscvRegMcause, cause);
        SetRegister(Unicorn.RiscvRegMtval, value);
        // Traps go to machine mode (nothing is delegated); MPP keeps the mode they came from, for MRET.
        SetRegister(Unicorn.RiscvRegMstatus, (mstatus & ~(MstatusMie | MstatusMpie | MstatusMpp)) | (Privilege << 11) | ((mstatus & MstatusMie) != 0 ? MstatusMpie : 0));
        SetRegister(Unicorn.RiscvRegPriv, PrivilegeMachine);
        ulong mtvec = Register(Unicorn.RiscvRegMtvec);
        bool vectored = (mtvec & 3) == 1 && (cause >> (_xlen - 1)) != 0;
        SetRegister(Unicorn.RiscvRegPc, (mtvec & ~3UL) + (vectored ? 4 * (cause & 0xFF) : 0));
    }

    // mip.MSIP and mip.MTIP are read-only mirrors of the CLINT (3.1.9), which Unicorn's mip cannot hold
    // (only supervisor bits are writable from outside): the CSR instructions that access mip in the loaded
    // image are hooked and run here. Code the firmware writes at run time is not scanned.
    private protected override void Loaded(string file, IReadOnlyList<(ulong Address, ReadOnlyMemory<byte> Data)> code)
    {
        foreach (var (address, bytes) in code)
        {
            var data = bytes.Span;
            for (int i = 0; i + 4 <= data.Length; i += 2)
            {
                uint word = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
                if (IsMipAccess(word) && _mipHooks.Add(address + (ulong)i))
                {
                    HookInstruction(address + (ulong)i);
                }
                if (word == Mret && i % 4 == 0)
                {
                    AddExceptionReturnSite(address + (ulong)i);
                }
            }
        }
    }

    // csrrw/csrrs/csrrc and their immediate forms on CSR 0x344.
    private static bool IsMipAccess(uint instruction) => (instruction & 0x7F) == 0x73 && (instruction >> 20) == MipCsr && ((instruction >> 12) & 3) != 0;

    private protected override void InstructionReached(ulong address)
    {
        if (IsTracedReturnSite(address))
        {
            ulong cause = Register(Unicorn.RiscvRegMcause);
            bool interruptCause = (cause >> (_xlen - 1)) != 0;
            TraceExceptionReturn(cause & ~(1UL << (_xlen - 1)), CauseName(interruptCause, cause & ~(1UL << (_xlen - 1))), Register(Unicorn.RiscvRegMepc));
            return;
        }
        uint instruction = ReadInstruction(address, 4);
        if (!IsMipAccess(instruction))
        {
            return;
        }
        SyncTime();   // MTIP reflects MTIME up to this instruction
        uint funct3 = (instruction >> 12) & 7;
        int rd = (int)((instruction >> 7) & 31);
        int rs1 = (int)((instruction >> 15) & 31);
        ulong engine = Register(Unicorn.RiscvRegMip);
        ulong old = Mip;
        ulong source = funct3 >= 5 ? (ulong)rs1 : Register(Unicorn.RiscvRegX0 + rs1);
        // Only the supervisor bits are writable (Unicorn masks the rest); csrrs/csrrc with x0 or 0 do not write.
        switch (funct3 & 3)
        {
            case 1: SetRegister(Unicorn.RiscvRegMip, source); break;
            case 2 when rs1 != 0: SetRegister(Unicorn.RiscvRegMip, engine | source); break;
            case 3 when rs1 != 0: SetRegister(Unicorn.RiscvRegMip, engine & ~source); break;
        }
        if (rd != 0)
        {
            SetRegister(Unicorn.RiscvRegX0 + rd, Mask(old));
        }
        SetRegister(Unicorn.RiscvRegPc, address + 4);
    }

    private static string TrapName(uint cause) => cause switch
    {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store address misaligned",
        7 => "store access fault",
        8 or 9 or 11 => "environment call",
        _ => "exception",
    };

    private protected override string ProgramCounterName => "pc";

    private const uint Mret = 0x3020_0073;

    private static string CauseName(bool interrupt, ulong code) => interrupt
        ? code switch { 3 => "machine-software-interrupt", 7 => "machine-timer-interrupt", 11 => "machine-external-interrupt", _ => $"interrupt-{code}" }
        : TrapName((uint)code).Replace(' ', '-');

    // mip as the firmware reads it: the engine's bits with MSIP and MTIP from the CLINT (see above).
    private ulong Mip => (Register(Unicorn.RiscvRegMip) & ~(MipMsip | MipMtip)) | (_clint.SoftwarePending ? MipMsip : 0) | (_clint.TimerPending ? MipMtip : 0);

    private protected override IEnumerable<RegisterState> ExtraStateRegisters() =>
    [
        new("mip", Mip, _xlen / 8),   // as read, not the engine's (a dump showed 0 beside the CLINT's pending timer)
        new("mtval", Register(Unicorn.RiscvRegMtval), _xlen / 8),
    ];

    // Interrupt causes: 3 machine software (CLINT MSIP), 7 machine timer (MTIMECMP), 11 machine external.
    private protected override InterruptState InterruptControllerState()
    {
        ulong mie = Register(Unicorn.RiscvRegMie);
        var enabled = new List<int>();
        foreach (int cause in (int[])[SoftwareCause, TimerCause, 11])
        {
            if ((mie & (1UL << cause)) != 0)
            {
                enabled.Add(cause);
            }
        }
        var pending = new List<int>();
        if (_clint.SoftwarePending)
        {
            pending.Add(SoftwareCause);
        }
        if (_clint.TimerPending)
        {
            pending.Add(TimerCause);
        }
        return new InterruptState("CLINT (mie/mip)", null, enabled, pending, []);
    }
}
