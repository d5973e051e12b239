using MemGate.Devices;
using MemGate.Engine;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;   // only for Unicorn's register ids, which are the engine's ids for this architecture
using MemGate.Peripherals;
using MemGate.Peripherals.Arm;

namespace MemGate.Emulation;

/// <summary>
/// A Cortex-A53 machine after QEMU's Arm <c>virt</c> board: a GICv2 (<see cref="Gicv2"/>, from the device
/// file or with its distributor at 0x08000000 and CPU interface at 0x08010000) with
/// the generic timer (<see cref="GenericTimer"/>: CNTP on PPI 30, CNTV on PPI 27) raises IRQs and FIQs,
/// and ARM semihosting (HLT #0xF000: SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT, SYS_EXIT_EXTENDED)
/// reaches the output and the exit code; UARTs and other peripherals come from the device file's models. Firmware starts at the image's entry point as QEMU's virt
/// (without virtualization=on or secure=on) starts a bare-metal <c>-kernel</c> ELF: at EL1 with SP_EL1,
/// DAIF all masked, the MMU and FP/SIMD access (CPACR_EL1) off.
/// </summary>
/// <remarks>
/// Unicorn hands every exception to the machine and has no GIC, so exceptions are taken here as the
/// Armv8-A manual (D1.10) has them, to EL1: SPSR_EL1 = PSTATE, ELR_EL1 = the preferred return address,
/// ESR_EL1 (and FAR_EL1 for aborts) with the syndromes QEMU gives, PSTATE = EL1h with DAIF masked, the
/// PC at VBAR_EL1 + the vector's offset (current EL with SP0 or SPx, or lower EL). Synchronous ones:
/// SVC, BRK, undefined instructions (SMC too: virt has no EL2 or EL3; HVC is a PSCI call), the FP/SIMD access trap,
/// and data and instruction aborts on access to nothing or against a region's permissions. IRQ and FIQ
/// are taken at block boundaries when the GIC signals them and PSTATE.I/F allow; ERET is Unicorn's own.
/// </remarks>
public sealed class Aarch64Machine : FirmwareMachine
{
    private static readonly ulong[] Halts = [0xFFFF_F000, 0x7F_FFFF_F000, 0x3FFF_F000];
    private const uint HltSemihosting = 0xD45E_0000;   // hlt #0xf000
    private const uint Wfi = 0xD503_207F;
    private const uint Hvc = 0xD400_0002, HvcMask = 0xFFE0_001F;   // hvc #imm16
    private const ulong PstateEl1h = 0x3C5;   // EL1 with SP_EL1, D, A, I and F masked
    private const ulong ResetZ = 1UL << 30;   // QEMU's reset leaves Z set (its zeroed ZF field means Z), so its cpsr reads 0x400003C5
    private const ulong PstateI = 1UL << 7;
    private const ulong PstateF = 1UL << 6;
    private const ulong ScrRw = 1UL << 10;
    private const uint ExcpUdef = 1, ExcpSwi = 2, ExcpPrefetchAbort = 3, ExcpDataAbort = 4, ExcpBkpt = 7, ExcpHvc = 11, ExcpSmc = 13;
    // ESR_EL1 syndromes (D17.2.37) as QEMU builds them: EC in bits 31:26, IL (32-bit instruction) in bit 25.
    private const ulong EsrIl = 1UL << 25;
    private const ulong EcUnknown = 0x00, EcFpAccess = 0x07, EcSvc = 0x15, EcInstructionAbortLower = 0x20, EcDataAbortLower = 0x24, EcBrk = 0x3C;
    private const ulong FpAccessIss = (1UL << 24) | (0xEUL << 20);   // CV = 1, COND = 0xE
    private const ulong SynchronousExternalAbort = 0x10;   // DFSC/IFSC: what QEMU reports for an access to nothing
    private const ulong WriteNotRead = 1UL << 6;

    private readonly Semihosting _semihosting;
    private readonly HashSet<ulong> _fpHooks = [];
    private ulong _fpEnable;   // CPACR_EL1.FPEN, kept from reset and MSRs (Unicorn never traps FP/SIMD itself)
    private readonly Gicv2 _gic;
    private readonly GenericTimer _timer;

    private Aarch64Machine(ICpuEngine engine, DeviceMemory memory, PeripheralSet peripherals, TextWriter output, TextWriter? errorOutput, Gicv2 gic, GenericTimer timer)
        : base(engine, memory, peripherals, output, errorOutput, engineOwned: false)
    {
        _gic = gic;
        _timer = timer;
        // Semihosting's clocks are the system counter's, at CNTFRQ_EL0, so they agree with what the firmware reads there.
        _semihosting = new Semihosting(memory.Main, output, ErrorOutput, wordBytes: 8, ticks: () => { SyncTime(); return _timer.Count; },
            ticksPerSecond: SystemRegister(3, 3, 14, 0, 0));
        HookSystemRegisters();
        engine.TranslateDirectly(TranslatesDirectly, () => EngineReportsWrites && MmuOff);
    }

    // With the EL1&0 stage of translation off (SCTLR_EL1.M = 0, as bare-metal firmware and boot code run), an address
    // below the A53's 40-bit physical range is its own physical address and every page is executable (D5.2.9): the
    // engine can fill its TLB itself and see the stores a snapshot's write witness needs to hear of. Only then: each such
    // fill costs about a microsecond more than the CPU's own (a run missing the TLB at every page ran 2.2 times as long),
    // which a restore that needs no walk of 2 GiB repays, a run without snapshots does not. Turning the MMU on flushes
    // the TLB (QEMU's SCTLR write does), so every later fill comes here and goes to the CPU's MMU.
    private bool TranslatesDirectly(ulong page, AccessKind access) => page < PhysicalAddressLimit && MmuOff;

    private bool MmuOff => CurrentEl <= 1 && (SystemRegister(3, 0, 1, 0, 0) & SctlrMmuEnable) == 0;

    private const ulong PhysicalAddressLimit = 1UL << 40;   // ID_AA64MMFR0_EL1.PARange = 2
    private const ulong SctlrMmuEnable = 1;

    /// <summary>The interrupt controller: drive SPI lines here.</summary>
    public Gicv2 Gic => _gic;

    /// <summary>The generic timer (its counter counts executed instructions).</summary>
    public GenericTimer Timer => _timer;

    /// <summary>Builds the machine for a cortex-a53 device (see <see cref="FirmwareMachine.Create"/>).</summary>
    /// <exception cref="NotSupportedException">The device's CPU is not a Cortex-A53, or Unicorn is not installed.</exception>
    public static new Aarch64Machine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions? options = null)
    {
        options ??= new FirmwareMachineOptions();
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Cpu.Equals("cortex-a53", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"Device '{device.Name}' has CPU '{device.Cpu}'; the AArch64 machine runs cortex-a53.");
        }
        return Build(device, output, options, EngineRegisterFile.Aarch64(), Gicv2.Info.Model, (engine, memory, peripherals) =>
        {
            var gic = peripherals.Find<Gicv2>()!;
            return new Aarch64Machine(engine, memory, peripherals, output, options.ErrorOutput, gic, new GenericTimer(gic));
        });
    }

    private protected override void Loaded(string file, IReadOnlyList<(ulong Address, ReadOnlyMemory<byte> Data)> code)
    {
        _semihosting.CommandLine = file;
        // ERETs of the image, for the exception trace (the engine runs them itself).
        foreach (var (address, bytes) in code)
        {
            var data = bytes.Span;
            for (int i = 0; i + 4 <= data.Length; i += 4)
            {
                if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) == Eret)
                {
                    AddExceptionReturnSite(address + (ulong)i);
                }
            }
        }
    }

    private const uint Eret = 0xD69F_03E0;

    private readonly Stack<(ulong Number, string Name)> _tracedEntries = new();   // the exception trace's entries an ERET returns from

    private protected override void SaveModels(StateWriter writer)
    {
        base.SaveModels(writer);
        writer.Begin("generic timer");
        var (count, physicalControl, physicalCompare, virtualControl, virtualCompare) = _timer.State;
        writer.Write([count, physicalControl, physicalCompare, virtualControl, virtualCompare]);
    }

    private protected override void RestoreModels(StateReader reader)
    {
        base.RestoreModels(reader);
        reader.Begin("generic timer");
        Span<ulong> timer = stackalloc ulong[5];
        reader.Read(timer);
        _timer.State = (timer[0], timer[1], timer[2], timer[3], timer[4]);
        _fpEnable = (Register(Unicorn.Arm64RegCpacrEl1) >> 20) & 3;
    }

    private protected override int ProgramCounterRegister => Unicorn.Arm64RegPc;

    // PSTATE first (exception level and SPSel), then the banked stack pointers and the current one as the
    // engine holds them; the EL1 system registers by id or encoding.
    private protected override IReadOnlyList<SnapshotRegister> SnapshotRegisters => _snapshotRegisters ??=
    [
        new("pstate", Unicorn.Arm64RegPstate, 4),
        new("sp_el0", Unicorn.Arm64RegSpEl0, 8), new("sp_el1", Unicorn.Arm64RegSpEl1, 8), new("sp", Unicorn.Arm64RegSp, 8),
        .. Enumerable.Range(0, 29).Select(i => new SnapshotRegister($"x{i}", Unicorn.Arm64RegX0 + i, 8)),
        new("x29", Unicorn.Arm64RegX29, 8), new("x30", Unicorn.Arm64RegLr, 8), new("pc", Unicorn.Arm64RegPc, 8),
        .. Enumerable.Range(0, 32).Select(i => new SnapshotRegister($"v{i}", Unicorn.Arm64RegQ0 + i, 16)),
        new("fpcr", Unicorn.Arm64RegFpcr, 4), new("fpsr", Unicorn.Arm64RegFpsr, 4),
        new("elr_el1", Unicorn.Arm64RegElrEl1, 8), new("esr_el1", Unicorn.Arm64RegEsrEl1, 8), new("far_el1", Unicorn.Arm64RegFarEl1, 8),
        new("vbar_el1", Unicorn.Arm64RegVbarEl1, 8), new("cpacr_el1", Unicorn.Arm64RegCpacrEl1, 8), new("tpidr_el0", Unicorn.Arm64RegTpidrEl0, 8),
        new("tpidrro_el0", Unicorn.Arm64RegTpidrroEl0, 8), new("tpidr_el1", Unicorn.Arm64RegTpidrEl1, 8), new("ttbr0_el1", Unicorn.Arm64RegTtbr0El1, 8),
        new("ttbr1_el1", Unicorn.Arm64RegTtbr1El1, 8), new("mair_el1", Unicorn.Arm64RegMairEl1, 8), new("par_el1", Unicorn.Arm64RegParEl1, 8),
        new("spsr_el1", Unicorn.Arm64RegCpReg, 8, new SystemRegister(3, 0, 4, 0, 0)),
        new("sctlr_el1", Unicorn.Arm64RegCpReg, 8, new SystemRegister(3, 0, 1, 0, 0)),
        new("tcr_el1", Unicorn.Arm64RegCpReg, 8, new SystemRegister(3, 0, 2, 0, 2)),
    ];

    private SnapshotRegister[]? _snapshotRegisters;

    private protected override void CpuStateRestored() => _fpEnable = (Register(Unicorn.Arm64RegCpacrEl1) >> 20) & 3;

    private protected override IReadOnlyList<ulong> HaltCandidates => Halts;

    // The result in x0, back to x30.
    private protected override void ReturnFromFunction(ulong? value)
    {
        if (value is { } result)
        {
            SetRegister(Unicorn.Arm64RegX0, result);
        }
        SetRegister(Unicorn.Arm64RegPc, Register(Unicorn.Arm64RegLr));
    }

    private protected override uint HaltInstructions => 0x1400_0000;   // b .

    // Unicorn halts on WFI with the PC after it; time jumps to the next timer event, and the run goes on
    // there, where the next block entry takes the interrupt if PSTATE allows.
    private protected override bool WaitsForInterrupt(ulong pc) => pc >= 4 && ReadInstruction(pc - 4, 4) == Wfi;

    private protected override bool WakeUp(ulong pc, out ulong resume)
    {
        resume = pc;
        // Time jumps from event to event (the generic timer's and the peripheral models') until the GIC signals, for a bounded number of them.
        for (int i = 0; i < 64 && _gic.Signal == GicSignal.None; i++)
        {
            ulong wait = Math.Min(_timer.TicksToEvent, Peripherals.TicksToEvent);
            if (wait == ulong.MaxValue)
            {
                return false;
            }
            AdvanceTime(wait);
        }
        return _gic.Signal != GicSignal.None;
    }

    // Reset as QEMU's virt leaves the CPU for a bare-metal ELF: EL1h, DAIF masked, VBAR_EL1 and CPACR_EL1 0.
    // Unicorn's A53 also has EL2 and EL3: SCR_EL3.RW makes EL1 AArch64, or ERET to EL1 or EL0 would be an illegal return.
    private protected override void HostStateRestarted() => _semihosting.Reset();

    private protected override ulong Reset()
    {
        _semihosting.Reset();
        _tracedEntries.Clear();
        Peripherals.Reset();
        _timer.Reset();
        // X0-X30 and SP zero as QEMU has them, not the last run's values.
        for (int x = Unicorn.Arm64RegX0; x <= Unicorn.Arm64RegX0 + 28; x++)
        {
            SetRegister(x, 0);
        }
        SetRegister(Unicorn.Arm64RegX29, 0);
        SetRegister(Unicorn.Arm64RegLr, 0);
        SetRegister(Unicorn.Arm64RegSp, 0);
        SetRegister(Unicorn.Arm64RegPstate, PstateEl1h | ResetZ);
        SetRegister(Unicorn.Arm64RegVbarEl1, Memory.Device.Boot.VectorTable ?? 0);   // [boot] vector_table: exceptions vector there from the start
        SetRegister(Unicorn.Arm64RegCpacrEl1, 0);
        _fpEnable = 0;
        SetRegister(Unicorn.Arm64RegSpEl0, 0);
        SetSystemRegister(3, 6, 1, 1, 0, ScrRw);   // SCR_EL3; the write also makes Unicorn recompute its cached EL
        if (Memory.Device.Boot.InitialStackPointer is { } sp)
        {
            SetRegister(Unicorn.Arm64RegSp, sp);
        }
        return StartAddress();
    }

    private protected override void AdvanceTime(ulong instructions)
    {
        _timer.Advance(instructions);
        Peripherals.Advance(instructions);
    }

    private protected override void BlockEntered(ulong address)
    {
        var signal = _gic.Signal;
        if (signal != GicSignal.None)
        {
            ulong pstate = Register(Unicorn.Arm64RegPstate);
            if (signal == GicSignal.Irq && (pstate & PstateI) == 0)
            {
                UncountBlock(address);   // taken before the block runs (as QEMU checks at a block's start)
                TakeException(VectorKind.Irq, address, null, null);
                return;
            }
            if (signal == GicSignal.Fiq && (pstate & PstateF) == 0)
            {
                UncountBlock(address);
                TakeException(VectorKind.Fiq, address, null, null);
            }
        }
    }

    // While CPACR_EL1 traps FP/SIMD, a block about to run that holds such instructions gets a hook on each
    // (InstructionReached takes the trap when one is reached with FP off) and starts again from its top, translated
    // anew: nothing of it has run yet.
    private protected override bool RestartsBlock(ulong address)
    {
        if (_fpEnable == 3 || !HookFloatingPoint(address, BlockInstructions))
        {
            return false;
        }
        RestartBlock(address);
        return true;
    }

    // True when a hook was added (the block's translation goes).
    private bool HookFloatingPoint(ulong address, uint instructions)
    {
        bool added = false;
        for (ulong at = address; at < address + 4 * (ulong)instructions; at += 4)
        {
            if (IsFloatingPoint(ReadInstruction(at, 4)) && _fpHooks.Add(at))
            {
                HookInstruction(at);
                added = true;
            }
        }
        if (added)
        {
            InvalidateCode(address, 4 * (ulong)instructions);
        }
        return added;
    }

    private protected override void InstructionReached(ulong address)
    {
        if (IsTracedReturnSite(address))
        {
            var (number, name) = _tracedEntries.TryPop(out var entry) ? entry : (0UL, "eret");
            TraceExceptionReturn(number, name, Register(Unicorn.Arm64RegElrEl1));
            return;
        }
        // FPEN 0b01 traps EL0 only; 0b00 and 0b10 trap EL0 and EL1 (D17.2.30).
        bool trapped = _fpEnable switch { 3 => false, 1 => CurrentEl == 0, _ => true };
        if (trapped)
        {
            TakeSynchronous(address, address, Syndrome(EcFpAccess, FpAccessIss), null, "FP/SIMD instruction with CPACR_EL1.FPEN off");
        }
    }

    // The counter and EL1 timer registers (op0 3, op1 3, CRn 14) are the model's; everything else is Unicorn's.
    private protected override bool SystemRegisterRead(SystemRegister register, out ulong value)
    {
        if (register is { Op0: 3, Op1: 0, Crn: 0, Crm: 4, Op2: 0 })
        {
            // ID_AA64PFR0_EL1: the engine's CPU implements EL2 and EL3, but this machine (as QEMU's virt without
            // virtualization=on/secure=on) runs EL0 and EL1 only: fields EL2 and EL3 read 0, not implemented, as on QEMU.
            value = SystemRegister(3, 0, 0, 4, 0) & ~0xFF00UL;
            return true;
        }
        value = 0;
        SyncTime();
        return IsTimerRegister(register) && _timer.TryRead(register.Crm, register.Op2, out value);
    }

    private protected override bool SystemRegisterWritten(SystemRegister register, ulong value)
    {
        if (register is { Op0: 3, Op1: 0, Crn: 1, Crm: 0, Op2: 2 })   // CPACR_EL1: Unicorn stores it, the machine enforces FPEN
        {
            _fpEnable = (value >> 20) & 3;
            return false;
        }
        SyncTime();
        return IsTimerRegister(register) && _timer.TryWrite(register.Crm, register.Op2, value);
    }

    private static bool IsTimerRegister(SystemRegister register) => register is { Op0: 3, Op1: 3, Crn: 14 };

    // Unicorn reports every exception here without taking it: semihosting calls are served, the rest are
    // taken to EL1 with the syndrome QEMU would give.
    private protected override void Interrupt(uint number)
    {
        ulong pc = ReadPc();
        foreach (ulong at in (ulong[])[pc, pc - 4])
        {
            if (ReadInstruction(at, 4) == HltSemihosting)
            {
                var (result, exit) = _semihosting.Call(Register(Unicorn.Arm64RegX0) & 0xFFFF_FFFF, Register(Unicorn.Arm64RegX1));
                if (exit is { } code)
                {
                    Exit(code);
                    return;
                }
                SetRegister(Unicorn.Arm64RegX0, result);
                SetRegister(Unicorn.Arm64RegPc, at + 4);
                return;
            }
        }
        switch (number)
        {
            case ExcpSwi:   // PC is past the SVC, which is also its preferred return address
                TakeSynchronous(pc, pc - 4, Syndrome(EcSvc, (ReadInstruction(pc - 4, 4) >> 5) & 0xFFFF), null, "SVC");
                return;
            case ExcpBkpt:
                TakeSynchronous(pc, pc, Syndrome(EcBrk, (ReadInstruction(pc, 4) >> 5) & 0xFFFF), null, "BRK");
                return;
            case ExcpHvc:
                ServePsci(pc);
                return;
            case ExcpUdef when CurrentEl != 0 && (ReadInstruction(pc, 4) & HvcMask) == Hvc:
                // The engine's CPU has EL2 but SCR_EL3.HCE clear, so an HVC at EL1 is undefined there, with the PC on it.
                SetRegister(Unicorn.Arm64RegPc, pc + 4);
                ServePsci(pc + 4);
                return;
            case ExcpUdef or ExcpSmc:
                ulong at = number == ExcpUdef ? pc : pc - 4;
                TakeSynchronous(at, at, Syndrome(EcUnknown, 0), null, "undefined instruction");
                return;
            case ExcpPrefetchAbort or ExcpDataAbort:
                Fail($"Run stopped at PC 0x{pc:X8}: {(number == ExcpDataAbort ? "data" : "prefetch")} abort raised by the CPU itself " +
                    "(MMU translation, permission or alignment fault), which the AArch64 machine does not model.");
                return;
            default:
                Fail($"Run stopped at PC 0x{pc:X8}: CPU exception {number}, which the AArch64 machine does not model.");
                return;
        }
    }

    // PSCI over HVC, as QEMU's virt serves it (Psci); the PC is past the HVC (EL1's: at EL0 it is undefined).
    private void ServePsci(ulong pc)
    {
        SetRegister(Unicorn.Arm64RegX0, Psci.Call(Register(Unicorn.Arm64RegX0), Register(Unicorn.Arm64RegX1), Register(Unicorn.Arm64RegX2), out var effect));
        switch (effect)
        {
            case Psci.Effect.SystemOff:
            case Psci.Effect.SystemReset:   // as QEMU with -no-reboot: a run has no second boot
                Exit(0);
                break;
            case Psci.Effect.CpuOff:
                PowerOff($"idle: PSCI CPU_OFF at 0x{pc - 4:X8} turned off the only CPU");
                break;
        }
    }

    // An access to nothing (or against a region's permissions) is a synchronous external abort, as on QEMU,
    // when the firmware has a vector table.
    private protected override bool TakesAccessFault(AccessKind access, ulong address) => Register(Unicorn.Arm64RegVbarEl1) != 0;

    private protected override void TakeAccessFault(AccessKind access, ulong address, ulong pc)
    {
        ulong lower = CurrentEl == 0 ? 0UL : 1UL;   // EC for the same EL is the lower EL's + 1
        if (access == AccessKind.Execute)
        {
            TakeSynchronous(address, address, Syndrome(EcInstructionAbortLower + lower, SynchronousExternalAbort), address, "instruction abort");
            return;
        }
        ulong iss = SynchronousExternalAbort | (access == AccessKind.Write ? WriteNotRead : 0);
        TakeSynchronous(pc, pc, Syndrome(EcDataAbortLower + lower, iss), address, "data abort");
    }

    private ulong CurrentEl => (Register(Unicorn.Arm64RegPstate) >> 2) & 3;

    private static ulong Syndrome(ulong ec, ulong iss) => (ec << 26) | EsrIl | iss;

    // SIMD&FP data processing (op0 x111) and loads/stores of SIMD&FP registers (x1x0 with V set).
    private static bool IsFloatingPoint(uint instruction) =>
        (instruction & 0x0E00_0000) == 0x0E00_0000 || (instruction & 0x0A00_0000) == 0x0800_0000 && (instruction & 0x0400_0000) != 0;

    private void TakeSynchronous(ulong returnAddress, ulong at, ulong syndrome, ulong? faultAddress, string what)
    {
        if (Register(Unicorn.Arm64RegVbarEl1) == 0)
        {
            SetRegister(Unicorn.Arm64RegPc, at);
            Fail($"Run stopped at PC 0x{at:X8}: {what} (ESR 0x{syndrome:X8}) and no vector table (VBAR_EL1 is 0).");
            return;
        }
        TakeException(VectorKind.Synchronous, returnAddress, syndrome, faultAddress);
    }

    private enum VectorKind
    {
        Synchronous = 0,
        Irq = 1,
        Fiq = 2,
    }

    // Exception entry to EL1 (D1.10.2): the vector group says where from (current EL on SP_EL0 or SP_EL1,
    // or a lower EL); the stack becomes SP_EL1, PSTATE EL1h with DAIF masked (and NZCV clear, as QEMU).
    private void TakeException(VectorKind kind, ulong returnAddress, ulong? syndrome, ulong? faultAddress)
    {
        CompleteInstructionTrace();
        ulong pstate = Register(Unicorn.Arm64RegPstate);
        ulong el = (pstate >> 2) & 3;
        bool onSpEl1 = el == 1 && (pstate & 1) != 0;
        ulong group = el == 0 ? 0x400UL : onSpEl1 ? 0x200UL : 0UL;
        if (!onSpEl1)
        {
            // Unicorn keeps the SP in use in SP and the others banked: bank this one, bring in SP_EL1.
            SetRegister(Unicorn.Arm64RegSpEl0, Register(Unicorn.Arm64RegSp));
            SetRegister(Unicorn.Arm64RegSp, Register(Unicorn.Arm64RegSpEl1));
        }
        SetRegister(Unicorn.Arm64RegElrEl1, returnAddress);
        if (syndrome is { } esr)
        {
            SetRegister(Unicorn.Arm64RegEsrEl1, esr);
        }
        if (faultAddress is { } far)
        {
            SetRegister(Unicorn.Arm64RegFarEl1, far);
        }
        SetRegister(Unicorn.Arm64RegPstate, PstateEl1h);
        SetSystemRegister(3, 0, 4, 0, 0, pstate & 0xFFFF_FFFF);   // SPSR_EL1; the write also makes Unicorn recompute its cached EL
        ulong vector = Register(Unicorn.Arm64RegVbarEl1) + group + 0x80 * (ulong)kind;
        if (IsTracingExceptions)
        {
            string name = kind == VectorKind.Synchronous && syndrome is { } s ? $"synchronous(EC=0x{s >> 26:x2})" : kind.ToString().ToLowerInvariant();
            _tracedEntries.Push(((ulong)kind, name));
            TraceExceptionEntry((ulong)kind, name, returnAddress, vector);
        }
        SetRegister(Unicorn.Arm64RegPc, vector);
    }

    private protected override IEnumerable<RegisterState> ExtraStateRegisters() =>
    [
        new("ELR_EL1", Register(Unicorn.Arm64RegElrEl1), 8),
        new("ESR_EL1", Register(Unicorn.Arm64RegEsrEl1), 8),
        new("FAR_EL1", Register(Unicorn.Arm64RegFarEl1), 8),
        new("VBAR_EL1", Register(Unicorn.Arm64RegVbarEl1), 8),
    ];

    // GIC interrupt IDs: 0-15 SGIs, 16-31 PPIs (the timers: 27 virtual, 30 physical), 32 and up SPIs.
    private protected override InterruptState InterruptControllerState()
    {
        var (enabled, pending, active) = (new List<int>(), new List<int>(), new List<int>());
        for (int id = 0; id < Gicv2.Lines; id++)
        {
            if (_gic.IsEnabled(id))
            {
                enabled.Add(id);
            }
            if (_gic.IsPending(id))
            {
                pending.Add(id);
            }
            if (_gic.IsActive(id))
            {
                active.Add(id);
            }
        }
        return new InterruptState("GICv2", active.Count == 0 ? null : active[^1], enabled, pending, active);
    }
}
