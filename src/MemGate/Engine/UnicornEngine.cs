using System.Diagnostics;
using System.Runtime.InteropServices;
using MemGate.Devices;
using MemGate.Memory;
using MemGate.Native;

namespace MemGate.Engine;

/// <summary>
/// <see cref="ICpuEngine"/> on Unicorn 2 (<see cref="Unicorn"/>'s imports): owns the <c>uc_engine</c>, the
/// GCHandles its callbacks find their objects by, and the unmanaged callbacks, which turn Unicorn's hooks
/// into <see cref="ICpuEngineEvents"/> calls.
/// </summary>
/// <remarks>
/// Instructions are counted by <see cref="BlockCounter"/>'s native block hook, which calls into managed code
/// only when a block is new to its table or the budget the owner gave is spent: a compute loop makes no
/// managed call per block. An exception thrown in an event is caught at the native boundary (it would kill
/// the process there), handed to <see cref="ICpuEngineEvents.CallbackFailed"/>, and the engine stops.
/// </remarks>
internal sealed unsafe partial class UnicornEngine : ICpuEngine
{
    private const int ErrorInvalidInstruction = 10;   // UC_ERR_INSN_INVALID
    private const int ErrorException = 21;            // UC_ERR_EXCEPTION

    private readonly UnicornHandle _handle;
    private readonly Lock _lock = new();   // Stop from another thread must not meet uc_close
    private readonly List<GCHandle> _pins = [];
    private ICpuEngineEvents? _events;
    // The counter and its table live on the pinned object heap: fixed addresses for the native stub, freed with the engine.
    private readonly byte[] _counterMemory = GC.AllocateArray<byte>(sizeof(BlockCounter), pinned: true);
    private readonly ulong[] _blockKeys = GC.AllocateArray<ulong>(BlockCounter.TableSize, pinned: true);
    private readonly uint[] _blockCounts = GC.AllocateArray<uint>(BlockCounter.TableSize, pinned: true);
    private readonly BlockCounter* _counter;
    private (ulong Start, ulong Size)[] _notCounted = [];   // ranges whose blocks Blocks leaves out (see ExcludeFromBlockCount)
    private readonly Dictionary<ulong, (nint Hook, int Users)> _instructionHooks = [];
    private readonly Dictionary<ulong, int> _reportedAt = [];   // instruction -> callers of ReportEveryEntry
    private readonly Dictionary<int, nint> _watches = [];
    private int _lastWatch;
    private readonly byte[] _edgeMemory = GC.AllocateArray<byte>(sizeof(EdgeTracer), pinned: true);
    private EdgeTracer* _edges => (EdgeTracer*)Marshal.UnsafeAddrOfPinnedArrayElement(_edgeMemory, 0);
    private nint _edgeHook;
    private ulong? _edgeBeforeRestart;   // the edge tracer's Previous before a block's entry that ReenterBlock undid
    private readonly int _pcRegister;
    private readonly bool _thumb;
    private readonly bool _riscv;
    private readonly int _instructionStep;   // bytes of the shortest instruction (Thumb, RISC-V C: 2)
    // The PC written from an exception call-back: Unicorn then stops keeping the PC exact for memory call-backs
    // (skip_sync_pc_on_exit stays set) until the next uc_emu_start, so Run starts the engine again from there.
    private bool _inInterrupt;
    private bool _restart;
    private bool _uncounted = true;   // the run has no instruction count (Unicorn's count needs the run in one piece)
    private volatile bool _stopAsked;
    private int _reportAsked;   // ReportNextBlock since the last report: the budget OnBlock writes must not hide it
    private readonly List<nint> _invalidAccessHooks = [];   // added at the first run (see Run)
    private bool _invalidAccessHooked;
    private readonly List<(ulong Start, ulong Last, Permissions Permissions)> _mapped = [];   // host and private mappings
    private readonly List<(ulong Start, ulong Size, nint Host)> _hostMapped = [];   // MapHost's, for the witness
    private WriteWitness? _witness;           // see ReportWrites
    private int _witnessEpoch;                // the witness's epoch the TLB's write permissions were granted in
    private DirectTranslationRule? _direct;   // see TranslateDirectly
    private Func<bool>? _directApplies;
    private bool _directNow;                  // Unicorn's TLB is filled by OnTlbFill (UC_TLB_VIRTUAL)
    private AccessKind? _declined;            // OnTlbFill left an access to the CPU's MMU: Run goes on with it
    private ulong _exitPage;                  // the page of the run's exit address - 1, which Unicorn looks up after the run
    private bool _running;                    // inside uc_emu_start
    private readonly HashSet<ulong> _fetched = [];   // writable pages that hold (or held) translated code

    /// <summary>Opens an engine for Unicorn's <paramref name="arch"/> and <paramref name="mode"/>, with a CPU model if given.</summary>
    /// <exception cref="NotSupportedException">Unicorn is not installed (or is the wrong version).</exception>
    /// <exception cref="CpuEngineException">Unicorn refused the architecture, mode or model.</exception>
    public UnicornEngine(int arch, int mode, int? cpuModel)
    {
        Unicorn.Require();
        // Unicorn asks for huge pages under its 1 GiB translation buffer, so setting up the engine would zero a whole 2 MiB
        // page for the few bytes of its prologue (0.2-0.5 ms of every machine's start); translations fill 4 KiB pages
        // as they need them instead.
        var smallPages = TransparentHugePages.Off();
        try
        {
            int error = Unicorn.Open(arch, mode, out nint engine);
            if (error != 0)
            {
                throw Failure(error, $"uc_open(arch {arch}, mode 0x{mode:X})");
            }
            _handle = UnicornHandle.Adopt(engine);
            _pcRegister = arch switch { Unicorn.ArchArm => Unicorn.ArmRegPc, Unicorn.ArchArm64 => Unicorn.Arm64RegPc, _ => Unicorn.RiscvRegPc };
            _thumb = arch == Unicorn.ArchArm && (mode & Unicorn.ModeThumb) != 0;
            _riscv = arch == Unicorn.ArchRiscv;
            _instructionStep = _thumb || arch == Unicorn.ArchRiscv ? 2 : 4;
            _counter = (BlockCounter*)Marshal.UnsafeAddrOfPinnedArrayElement(_counterMemory, 0);
            _counter->Keys = (ulong*)Marshal.UnsafeAddrOfPinnedArrayElement(_blockKeys, 0);
            _counter->Counts = (uint*)Marshal.UnsafeAddrOfPinnedArrayElement(_blockCounts, 0);
            _counter->Slow = (nint)(delegate* unmanaged<nint, ulong, uint, nint, void>)&OnBlock;
            try
            {
                if (cpuModel is { } model)
                {
                    Check(Unicorn.Control(Handle, Unicorn.CtlWriteCpuModel, model), "uc_ctl(CPU_MODEL)");
                }
                Check(Unicorn.Query(Handle, Unicorn.QueryPageSize, out nuint page), "uc_query(PAGE_SIZE)");
                PageSize = page;
                _pins.Add(GCHandle.Alloc(this));
                _counter->Owner = Self;
            }
            catch
            {
                Dispose();
                throw;
            }
        }
        finally
        {
            smallPages.Dispose();
        }
    }

    /// <summary>
    /// The engine for a device's CPU: cortex-m3/m4 (Thumb, with that CPU model), rv32*/rv64* and cortex-a53.
    /// </summary>
    /// <exception cref="NotSupportedException">No Unicorn CPU for the device, or Unicorn is not installed.</exception>
    public static UnicornEngine ForDevice(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string cpu = device.Cpu.ToLowerInvariant();
        string architecture = device.Architecture.ToLowerInvariant();
        return cpu switch
        {
            "cortex-m3" => new UnicornEngine(Unicorn.ArchArm, Unicorn.ModeThumb, Unicorn.CpuArmCortexM3),
            "cortex-m4" => new UnicornEngine(Unicorn.ArchArm, Unicorn.ModeThumb, Unicorn.CpuArmCortexM4),
            "cortex-a53" => new UnicornEngine(Unicorn.ArchArm64, Unicorn.ModeArm, Unicorn.CpuArm64A53),
            _ when architecture.StartsWith("rv32", StringComparison.Ordinal) => new UnicornEngine(Unicorn.ArchRiscv, Unicorn.ModeRiscv32, null),
            _ when architecture.StartsWith("rv64", StringComparison.Ordinal) => new UnicornEngine(Unicorn.ArchRiscv, Unicorn.ModeRiscv64, null),
            _ => throw new NotSupportedException($"Device '{device.Name}' has CPU '{device.Cpu}' ({device.Architecture}), which Unicorn does not run here."),
        };
    }

    /// <inheritdoc/>
    public ulong PageSize { get; }

    /// <inheritdoc/>
    public ulong Instructions
    {
        get => _counter->Instructions;
        set
        {
            _counter->Instructions = value;
            _counter->BlockCount = 0;   // a new count: the last block is not one to correct any more
        }
    }

    /// <inheritdoc/>
    public uint BlockInstructions => _counter->BlockCount;

    /// <inheritdoc/>
    public ulong Blocks => _counter->Blocks;

    /// <inheritdoc/>
    public uint BlockSize => _counter->BlockSize;

    /// <inheritdoc/>
    public ulong BlockAddress => _counter->BlockAddress;

    // A closed engine's pointer is freed memory: every call after Dispose fails here instead of in Unicorn (a segfault).
    private nint Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(UnicornEngine), "The CPU engine was disposed (its machine was disposed).") : _handle.DangerousGetHandle();

    private nint Self => GCHandle.ToIntPtr(_pins[0]);

    private ICpuEngineEvents Events => _events ?? throw new InvalidOperationException("No events are attached to the engine.");

    /// <inheritdoc/>
    public void Attach(ICpuEngineEvents events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_events is not null)
        {
            throw new InvalidOperationException("The engine already reports to an owner.");
        }
        _events = events;
        Check(Unicorn.HookAdd(Handle, out _, Unicorn.HookIntr, (delegate* unmanaged<nint, uint, nint, void>)&OnInterrupt, Self, 1, 0), "uc_hook_add(INTR)");
        Check(Unicorn.HookAdd(Handle, out _, Unicorn.HookBlock, (void*)BlockCounter.Stub, (nint)_counter, 1, 0), "uc_hook_add(BLOCK)");
    }

    /// <inheritdoc/>
    public void MapHost(ulong address, ulong size, Permissions permissions, nint host)
    {
        Check(Unicorn.MemMapPtr(Handle, address, (nuint)size, ProtOf(permissions), host), $"uc_mem_map_ptr([0x{address:X}, 0x{address + size:X}))");
        Mapped(address, size, permissions);
        _hostMapped.Add((address, size, host));
    }

    /// <inheritdoc/>
    public bool CanReportWrites => _direct is not null;

    /// <inheritdoc/>
    public void ReportWrites(WriteWitness? witness)
    {
        if (witness is not null && !CanReportWrites)
        {
            throw new NotSupportedException("The engine translates through the CPU's MMU only: it cannot see its stores.");
        }
        _witness = witness;
        _witnessEpoch = witness is null ? 0 : witness.Epoch - 1;   // the next run drops the write permissions granted before
    }

    // Reports guest bytes [address, +length) written, where host memory is mapped there.
    private void Witnessed(ulong address, ulong length)
    {
        foreach (var (start, size, host) in _hostMapped)
        {
            ulong from = Math.Max(start, address), to = Math.Min(start + size, address + length);
            if (from < to)
            {
                _witness!.Written(host + (nint)(from - start), to - from);
            }
        }
    }

    /// <inheritdoc/>
    public void ExcludeFromBlockCount(ulong address, ulong size)
    {
        _notCounted = [.. _notCounted, (address, size)];
        Array.Clear(_blockKeys);   // the stub counts every block it finds in the table: none of these may be there
    }

    /// <inheritdoc/>
    public void MapPrivate(ulong address, ulong size, Permissions permissions)
    {
        Check(Unicorn.MemMap(Handle, address, (nuint)size, ProtOf(permissions)), $"uc_mem_map([0x{address:X}, 0x{address + size:X}))");
        Mapped(address, size, permissions);
    }

    /// <inheritdoc/>
    public void TranslateDirectly(DirectTranslationRule rule, Func<bool>? applies = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (_direct is not null)
        {
            throw new InvalidOperationException("The engine translates directly already.");
        }
        _direct = rule;
        _directApplies = applies;
        Check(Unicorn.HookAdd(Handle, out _, Unicorn.HookTlbFill, (delegate* unmanaged<nint, ulong, int, UnicornTlbEntry*, nint, byte>)&OnTlbFill, Self, 1, 0),
            "uc_hook_add(TLB_FILL)");
    }

    /// <inheritdoc/>
    public void MapMmio(ulong address, ulong size, IMmioHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_invalidAccessHooked)
        {
            throw new InvalidOperationException("MMIO windows are mapped before the first run.");
        }
        var window = GCHandle.Alloc(new MmioWindow(this, handler));
        _pins.Add(window);
        nint user = GCHandle.ToIntPtr(window);
        Check(Unicorn.MmioMap(Handle, address, (nuint)size, &OnMmioRead, user, &OnMmioWrite, user), $"uc_mmio_map([0x{address:X}, +0x{size:X}))");
        // Without permissions, every access to the window first goes to a protection hook, for which Unicorn puts
        // the PC of the accessing instruction back (cpu_restore_state); the hook lets it through to the handler,
        // which so sees the exact PC. A read/write memory hook would do the same, but its mere
        // presence sends every load and store of the guest, RAM too, through Unicorn's slow path.
        Check(Unicorn.MemProtect(Handle, address, (nuint)size, 0), $"uc_mem_protect([0x{address:X}, +0x{size:X}))");
        Check(Unicorn.HookAdd(Handle, out _, Unicorn.HookMemReadProt | Unicorn.HookMemWriteProt, (void*)MmioPass.Value, 0, address, address + size - 1),
            $"uc_hook_add(MEM_READ_PROT|MEM_WRITE_PROT, [0x{address:X}, +0x{size:X}))");
    }

    /// <inheritdoc/>
    public ulong ReadRegister(int id)
    {
        if (_riscv && IsCsr(id))
        {
            var opened = OpenCsr(id);
            try
            {
                Check(Unicorn.RegRead(Handle, id, out ulong csr), $"uc_reg_read({id})");
                return csr;
            }
            finally
            {
                CloseCsr(opened);
            }
        }
        Check(Unicorn.RegRead(Handle, id, out ulong value), $"uc_reg_read({id})");
        return value;
    }

    /// <inheritdoc/>
    public void WriteRegister(int id, ulong value)
    {
        if (_riscv && IsCsr(id))
        {
            var opened = OpenCsr(id);
            try
            {
                Check(Unicorn.RegWrite(Handle, id, value), $"uc_reg_write({id})");
            }
            finally
            {
                CloseCsr(opened);
            }
            return;
        }
        Check(Unicorn.RegWrite(Handle, id, value), $"uc_reg_write({id})");
        _restart |= _inInterrupt && id == _pcRegister;
    }

    // Unicorn reaches RISC-V CSRs through the CSR instructions' own checks, without QEMU's debugger pass: below machine
    // mode a machine-mode CSR (mstatus, mepc, mtvec …) is refused, and fflags, frm and fcsr are refused while mstatus.FS
    // is off; a refused read returns stack garbage and a refused write does nothing. Around the access the hart is put in
    // machine mode and FS turned on; both are put back (OpenCsr returns what to put back, null for nothing).
    private static bool IsCsr(int id) => id is >= Unicorn.RiscvRegUstatus and <= Unicorn.RiscvRegLastCsr;

    private (ulong? Privilege, ulong? Mstatus) OpenCsr(int id)
    {
        Check(Unicorn.RegRead(Handle, Unicorn.RiscvRegPriv, out ulong privilege), "uc_reg_read(priv)");
        bool machine = privilege == PrivilegeMachine;
        if (!machine)
        {
            Check(Unicorn.RegWrite(Handle, Unicorn.RiscvRegPriv, PrivilegeMachine), "uc_reg_write(priv)");
        }
        ulong? mstatus = null;
        if (id is Unicorn.RiscvRegFflags or Unicorn.RiscvRegFrm or Unicorn.RiscvRegFcsr)
        {
            Check(Unicorn.RegRead(Handle, Unicorn.RiscvRegMstatus, out ulong status), "uc_reg_read(mstatus)");
            if ((status & MstatusFs) == 0)
            {
                Check(Unicorn.RegWrite(Handle, Unicorn.RiscvRegMstatus, status | MstatusFsInitial), "uc_reg_write(mstatus)");
                mstatus = status;
            }
        }
        return (machine ? null : privilege, mstatus);
    }

    private void CloseCsr((ulong? Privilege, ulong? Mstatus) opened)
    {
        if (opened.Mstatus is { } mstatus)
        {
            Check(Unicorn.RegWrite(Handle, Unicorn.RiscvRegMstatus, mstatus), "uc_reg_write(mstatus)");
        }
        if (opened.Privilege is { } privilege)
        {
            Check(Unicorn.RegWrite(Handle, Unicorn.RiscvRegPriv, privilege), "uc_reg_write(priv)");
        }
    }

    private const ulong PrivilegeMachine = 3;   // UC_RISCV_REG_PRIV's encoding (the debug spec's): 3 machine, 1 supervisor, 0 user; bit 2 virtual
    private const ulong MstatusFs = 3UL << 13, MstatusFsInitial = 1UL << 13;

    /// <inheritdoc/>
    public void ReadRegister(int id, Span<byte> value)
    {
        // Unicorn writes as many bytes as the register has: read into room for the widest (512-bit) and copy.
        Span<byte> room = stackalloc byte[64];
        room.Clear();
        fixed (byte* p = room)
        {
            Check(Unicorn.RegRead(Handle, id, p), $"uc_reg_read({id})");
        }
        room[..Math.Min(value.Length, room.Length)].CopyTo(value);
    }

    /// <inheritdoc/>
    public void WriteRegister(int id, ReadOnlySpan<byte> value)
    {
        Span<byte> room = stackalloc byte[64];
        room.Clear();
        value[..Math.Min(value.Length, room.Length)].CopyTo(room);
        fixed (byte* p = room)
        {
            Check(Unicorn.RegWrite(Handle, id, p), $"uc_reg_write({id})");
        }
    }

    /// <inheritdoc/>
    public bool TryReadMemory(ulong address, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            return Unicorn.MemRead(Handle, address, p, (nuint)destination.Length) == 0;
        }
    }

    /// <inheritdoc/>
    public void WriteMemory(ulong address, ReadOnlySpan<byte> source)
    {
        if (_witness is not null)
        {
            Witnessed(address, (ulong)source.Length);
        }
        fixed (byte* p = source)
        {
            Check(Unicorn.MemWrite(Handle, address, p, (nuint)source.Length), "uc_mem_write");
        }
    }

    /// <inheritdoc/>
    public CpuEngineException? Run(ulong start, ulong until, TimeSpan? timeout, ulong count)
    {
        ulong micros = timeout is { } left ? (ulong)Math.Max(1, left.TotalMicroseconds) : 0;
        // Without a count Unicorn runs translated blocks without a call per instruction; the PC is still exact
        // where MemGate reads it: in MMIO and invalid-access call-backs (both come through protection or
        // invalid-access hooks, for which Unicorn restores it from the host return address; see MapMmio), at
        // exceptions, and at block starts. With a count (the owner asks for one only for the end of a block
        // that crosses an instruction limit) the run stops at an exit address after that many instructions in a
        // straight line from start; Unicorn's own count, which skips a Thumb instruction whose IT condition fails,
        // only bounds a run that leaves that line (an exception).
        if (!_invalidAccessHooked)
        {
            // Unicorn asks hooks in the order they were added, up to the first that handles the access: the MMIO
            // windows' protection hooks come first, so these are added once they are all there.
            HookInvalidAccesses();
        }
        // Unicorn's count runs in pieces this loop does not know how to resume: the CPU's MMU translates for it.
        TranslateDirectlyNow(_direct is not null && count == 0 && (_directApplies?.Invoke() ?? true));
        if (!_directNow)
        {
            _witness?.Unwitnessed();   // the CPU's MMU grants write permission without telling
        }
        else if (_witness is { } witness && witness.Epoch != _witnessEpoch)
        {
            // A store reports its page when the TLB first grants it write permission: none granted before may remain.
            FlushTlb();
            _witnessEpoch = witness.Epoch;
        }
        _counter->Budget = 0;   // the first block looks at the owner's state
        _stopAsked = false;
        _restart = false;
        ulong? exit = count != 0 ? ExitAfter(start, count) : null;
        if (count != 0 && (_uncounted || exit is not null))
        {
            // Unicorn's count is a hook in each instruction's translated code, added by uc_emu_start without dropping
            // the code translated before (it drops it when the count goes): blocks translated without it would not count.
            // An exit address, too, is seen only by code translated while it is set.
            Check(Unicorn.Control(Handle, Unicorn.CtlWriteTbFlush, 0L), "uc_ctl(TB_FLUSH)");
        }
        until = exit ?? until;
        _exitPage = (until - 1) & ~(PageSize - 1);
        _uncounted = count == 0;
        long started = Stopwatch.GetTimestamp();
        int error = EmuStart(start, until, micros, count);
        while (true)
        {
            ulong pc = ReadRegister(_pcRegister);
            if (error == ErrorException && _declined is { } declined)
            {
                // OnTlbFill left the access to the CPU's MMU, which decides for the rest of this run (and raises the
                // guest's fault if there is one). A load or store stopped before it ran; a fetch before its block began.
                _declined = null;
                error = 0;
                TranslateDirectlyNow(false);
                _witness?.Unwitnessed();
                if (declined != AccessKind.Execute)
                {
                    CountUpTo(pc, including: false);
                }
                if (_stopAsked)
                {
                    break;
                }
            }
            else if (error == 0 && _restart && _uncounted && !_stopAsked)
            {
                // An exception call-back moved the PC: go on from there in a new uc_emu_start, which keeps the PC exact again.
                _restart = false;
                if (pc == (until & ~1UL))
                {
                    break;
                }
            }
            else
            {
                break;
            }
            ulong spent = (ulong)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            if (micros != 0 && spent >= micros)
            {
                break;
            }
            error = EmuStart(_thumb ? pc | 1 : pc, until, micros == 0 ? 0 : micros - spent, 0);
        }
        return error == 0 ? null : Failure(error, null);
    }

    private int EmuStart(ulong start, ulong until, ulong micros, ulong count)
    {
        _declined = null;
        _running = true;
        try
        {
            return Unicorn.EmuStart(Handle, start, until, micros, (nuint)count);
        }
        finally
        {
            _running = false;
        }
    }

    /// <inheritdoc/>
    public void Stop()
    {
        _stopAsked = true;
        lock (_lock)
        {
            if (!_handle.IsClosed)
            {
                Unicorn.EmuStop(Handle);
            }
        }
    }

    /// <inheritdoc/>
    public void InvalidateCode(ulong address, ulong length)
    {
        // Unicorn finds the code through a TLB fill of its own, outside the CPU loop: the CPU's MMU answers it, and its
        // entries go again before the guest runs on (a store through one would not be reported to the witness).
        bool direct = _directNow;
        TranslateDirectlyNow(false);
        Check(Unicorn.Control(Handle, Unicorn.CtlWriteTbRemoveCache, address, address + length), "uc_ctl(TB_REMOVE_CACHE)");
        TranslateDirectlyNow(direct);
        Array.Clear(_blockKeys);
    }

    /// <inheritdoc/>
    public void ForgetBlocks() => Array.Clear(_blockKeys);

    /// <inheritdoc/>
    public void ReportEveryEntry(ulong address, bool report)
    {
        int users = _reportedAt.GetValueOrDefault(address) + (report ? 1 : -1);
        if (users > 0)
        {
            _reportedAt[address] = users;
        }
        else
        {
            _reportedAt.Remove(address);
        }
        Array.Clear(_blockKeys);   // a block in the table is counted by the stub alone: it must come to OnBlock again
    }

    // Whether the block [address, address + size) holds an instruction ReportEveryEntry asked for (the table must not keep it).
    private bool HoldsReported(ulong address, uint size)
    {
        foreach (ulong at in _reportedAt.Keys)
        {
            if (at - address < Math.Max(size, 1))
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc/>
    public void ReportNextBlock()
    {
        // Flag, then budget; OnBlock writes the budget, then reads the flag: with a full fence on each side, a
        // request OnBlock does not see finds its budget written already and replaces it.
        Interlocked.Exchange(ref _reportAsked, 1);
        _counter->Budget = 0;
    }

    /// <inheritdoc/>
    public void CountUpTo(ulong pc, bool including = true, bool raised = false)
    {
        var c = _counter;
        if (c->BlockCount == 0 || pc < c->BlockAddress)
        {
            return;   // counted already, or not inside the block just entered (e.g. an exception return through a magic address)
        }
        ulong offset = pc - c->BlockAddress;
        if (offset == c->BlockSize && (raised || c->BlockSize == 0))
        {
            // Unicorn leaves an instruction that raises at translation (an illegal one) out of its block's size: alone,
            // in a block of size 0 (counted as one instruction), or right after the block's end.
            c->Instructions = c->BeforeBlock + (c->BlockSize == 0 ? 0 : c->BlockCount) + (including ? 1U : 0U);
            c->BlockCount = 0;
            return;
        }
        if (offset >= c->BlockSize)
        {
            return;
        }
        Span<byte> code = stackalloc byte[(int)Math.Min(offset, 1024)];
        ReadOrZeros(c->BlockAddress, code);
        uint before = code.IsEmpty ? 0 : Events.CountInstructions(c->BlockAddress, code);
        c->Instructions = c->BeforeBlock + Math.Min(c->BlockCount, before + (including ? 1U : 0U));
        c->BlockCount = 0;   // counted; a second exception before the next block changes nothing more
    }

    /// <inheritdoc/>
    public ICpuContext SaveContext() => new UnicornCpuContext(this, UnicornContextHandle.Save(Handle));

    /// <inheritdoc/>
    public void SaveContext(ICpuContext context) => Own(context).Handle.SaveFrom(Handle);

    /// <inheritdoc/>
    public void RestoreContext(ICpuContext context) => Own(context).Handle.RestoreInto(Handle);

    private UnicornCpuContext Own(ICpuContext context) => context is UnicornCpuContext saved && ReferenceEquals(saved.Engine, this)
        ? saved
        : throw new ArgumentException("The CPU context was saved by another engine.", nameof(context));

    /// <inheritdoc/>
    public void HookInstruction(ulong address)
    {
        // One hook per address however many callers want it: each would otherwise report the instruction again.
        if (_instructionHooks.TryGetValue(address, out var known))
        {
            _instructionHooks[address] = (known.Hook, known.Users + 1);
            return;
        }
        Check(Unicorn.HookAdd(Handle, out nint hook, Unicorn.HookCode, (delegate* unmanaged<nint, ulong, uint, nint, void>)&OnInstruction, Self, address, address), "uc_hook_add(CODE)");
        _instructionHooks[address] = (hook, 1);
    }

    /// <inheritdoc/>
    public void UnhookInstruction(ulong address)
    {
        if (!_instructionHooks.TryGetValue(address, out var known))
        {
            return;
        }
        if (known.Users > 1)
        {
            _instructionHooks[address] = (known.Hook, known.Users - 1);
            return;
        }
        _instructionHooks.Remove(address);
        Check(Unicorn.HookDel(Handle, known.Hook), "uc_hook_del(CODE)");
    }

    /// <inheritdoc/>
    public int WatchMemory(ulong address, ulong length, bool reads, bool writes)
    {
        // Unicorn matches a hook by the access's first byte: start early enough to see an 8-byte access that ends inside.
        ulong begin = address >= 7 ? address - 7 : 0;
        ulong end = length == 0 ? address : address + (length - 1);
        int type = (reads ? Unicorn.HookMemRead : 0) | (writes ? Unicorn.HookMemWrite : 0);
        Check(Unicorn.HookAdd(Handle, out nint hook, type, (delegate* unmanaged<nint, int, ulong, int, long, nint, void>)&OnWatchedMemory, Self, begin, Math.Max(begin, end)),
            "uc_hook_add(MEM_READ|MEM_WRITE)");
        // Loads and stores call memory hooks only in code translated while a hook exists.
        Check(Unicorn.Control(Handle, Unicorn.CtlWriteTbFlush, 0L), "uc_ctl(TB_FLUSH)");
        _watches[++_lastWatch] = hook;
        return _lastWatch;
    }

    /// <inheritdoc/>
    public void UnwatchMemory(int id)
    {
        if (_watches.Remove(id, out nint hook))
        {
            Check(Unicorn.HookDel(Handle, hook), "uc_hook_del(MEM)");
        }
    }

    /// <inheritdoc/>
    public void TraceEdges(nint map, int size)
    {
        if (map != 0 && (size <= 0 || (size & (size - 1)) != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The edge map's size must be a power of two.");
        }
        if (_edgeHook != 0)
        {
            Check(Unicorn.HookDel(Handle, _edgeHook), "uc_hook_del(BLOCK)");
            _edgeHook = 0;
        }
        if (map == 0)
        {
            return;
        }
        _edges->Map = (byte*)map;
        _edges->Mask = (ulong)size - 1;
        _edges->Previous = 0;
        Check(Unicorn.HookAdd(Handle, out _edgeHook, Unicorn.HookBlock, (void*)EdgeTracer.Stub, (nint)_edges, 1, 0), "uc_hook_add(BLOCK)");
        Check(Unicorn.Control(Handle, Unicorn.CtlWriteTbFlush, 0L), "uc_ctl(TB_FLUSH)");   // blocks translated before would not report
    }

    /// <inheritdoc/>
    public void RestartEdges()
    {
        _edges->Previous = 0;
        _edgeBeforeRestart = null;
    }

    /// <inheritdoc/>
    public void ReenterBlock(ulong address)
    {
        if (_edgeHook == 0)
        {
            return;
        }
        // Called from the block counter's hook, which Unicorn calls before the edge tracer's (added later): this entry's
        // edge is still to be counted (writing the PC does not skip the hooks after it). It is taken back in advance
        // (counts are modulo 256, as the stub's increment is), and the tracer's Previous is put back at the next block
        // entry, the re-entry (OnBlock: the budget is spent), so that the re-entry counts the edge, or nothing if the
        // run stops there (a stop skips the tracer's hook), as without the restart.
        ulong previous = _edges->Previous;
        _edges->Map[EdgeTracer.Hash(address, _edges->Mask) ^ previous]--;
        _edgeBeforeRestart = previous;
    }

    /// <inheritdoc/>
    public void HookSystemRegisters()
    {
        Check(Unicorn.HookAddInstruction(Handle, out _, Unicorn.HookInsn, (delegate* unmanaged<nint, int, Arm64SystemRegister*, nint, uint>)&OnMrs, Self, 1, 0, Unicorn.Arm64InsMrs), "uc_hook_add(INSN MRS)");
        Check(Unicorn.HookAddInstruction(Handle, out _, Unicorn.HookInsn, (delegate* unmanaged<nint, int, Arm64SystemRegister*, nint, uint>)&OnMsr, Self, 1, 0, Unicorn.Arm64InsMsr), "uc_hook_add(INSN MSR)");
    }

    /// <inheritdoc/>
    public ulong ReadSystemRegister(SystemRegister register)
    {
        var value = new Arm64SystemRegister(register.Op0, register.Op1, register.Crn, register.Crm, register.Op2);
        Check(Unicorn.RegRead(Handle, Unicorn.Arm64RegCpReg, ref value), $"uc_reg_read({register})");
        return value.Value;
    }

    /// <inheritdoc/>
    public void WriteSystemRegister(SystemRegister register, ulong value) =>
        Check(Unicorn.RegWrite(Handle, Unicorn.Arm64RegCpReg, new Arm64SystemRegister(register.Op0, register.Op1, register.Crn, register.Crm, register.Op2, value)),
            $"uc_reg_write({register})");

    /// <summary>Closes the engine and frees the callbacks' handles (the mapped host memory is the owner's).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _handle?.Dispose();
        }
        foreach (var pin in _pins)
        {
            pin.Free();
        }
        _pins.Clear();
    }

    private void ReadOrZeros(ulong address, Span<byte> destination)
    {
        if (!TryReadMemory(address, destination))
        {
            destination.Clear();
        }
    }

    // An exception must not cross into native code: the owner hears of it and the run stops.
    private void Fail(Exception e)
    {
        try
        {
            Events.CallbackFailed(e);
        }
        catch (Exception)
        {
            // Nothing is left to tell it with; the run still stops.
        }
        StopFromCallback();
    }

    // uc_emu_stop from inside a callback, where no exception may escape to Unicorn (a disposed engine: nothing to stop).
    private void StopFromCallback()
    {
        if (!_handle.IsClosed)
        {
            Unicorn.EmuStop(_handle.DangerousGetHandle());
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw Failure(error, what);
        }
    }

    private static CpuEngineException Failure(int error, string? what)
    {
        var kind = error switch
        {
            ErrorInvalidInstruction => CpuEngineError.InvalidInstruction,
            ErrorException => CpuEngineError.Exception,
            6 or 7 or 8 or 12 or 13 or 14 or 16 or 17 or 18 => CpuEngineError.MemoryAccess,   // UC_ERR_{READ,WRITE,FETCH}_{UNMAPPED,PROT,UNALIGNED}
            _ => CpuEngineError.Other,
        };
        string text = Unicorn.Describe(error);
        return new CpuEngineException(kind, error, what is null ? text : $"{what} failed: {text}");
    }

    private void Mapped(ulong address, ulong size, Permissions permissions)
    {
        if (size != 0)
        {
            _mapped.Add((address, address + (size - 1), permissions));
        }
        if (_invalidAccessHooked)
        {
            HookInvalidAccesses();   // a mapping after the first run: the hooks' ranges change
        }
    }

    // Where the instruction after the first `count` from `start` begins, found with the owner's instruction count
    // (it counts an instruction cut off at the end of the bytes as one): Unicorn stops before translating an exit
    // address, ahead of a Thumb IT condition's skip, so every instruction up to there counts, executed or not.
    private ulong? ExitAfter(ulong start, ulong count)
    {
        ulong address = start & ~1UL;
        if (count > MaxExitInstructions)
        {
            return null;
        }
        Span<byte> code = stackalloc byte[(int)(count + 1) * 4];
        while (!code.IsEmpty && !TryReadMemory(address, code))
        {
            code = code[..(code.Length / 2 & ~3)];   // the straight line may end near the end of its region
        }
        for (int length = _instructionStep; length <= code.Length; length += _instructionStep)
        {
            if (Events.CountInstructions(address, code[..length]) == count + 1)
            {
                return address + (ulong)(length - _instructionStep);
            }
        }
        return null;
    }

    private const ulong MaxExitInstructions = 1024;   // more than any translated block holds

    private bool IsWritable(ulong page)
    {
        foreach (var (start, last, permissions) in _mapped)
        {
            if (page >= start && page <= last && permissions.HasFlag(Permissions.Write))
            {
                return true;
            }
        }
        return false;
    }

    // One invalid-access hook per range between the mappings that allow everything (unmapped addresses, MMIO windows,
    // flash and other restricted regions): Unicorn keeps every store to an address under any memory hook on its slow path.
    private void HookInvalidAccesses()
    {
        foreach (nint hook in _invalidAccessHooks)
        {
            Check(Unicorn.HookDel(Handle, hook), "uc_hook_del(MEM_INVALID)");
        }
        _invalidAccessHooks.Clear();
        ulong next = 0;
        bool end = false;
        foreach (var (start, last, _) in _mapped.Where(m => (m.Permissions & Permissions.All) == Permissions.All).OrderBy(m => m.Start))
        {
            if (start > next)
            {
                AddInvalidAccessHook(next, start - 1);
            }
            if (last == ulong.MaxValue)
            {
                end = true;
                break;
            }
            next = Math.Max(next, last + 1);
        }
        if (!end)
        {
            AddInvalidAccessHook(next, ulong.MaxValue);
        }
        _invalidAccessHooked = true;
    }

    private void AddInvalidAccessHook(ulong first, ulong last)
    {
        Check(Unicorn.HookAdd(Handle, out nint hook, Unicorn.HookMemInvalid, (delegate* unmanaged<nint, int, ulong, int, long, nint, byte>)&OnInvalidMemory, Self, first, last),
            $"uc_hook_add(MEM_INVALID, [0x{first:X}, 0x{last:X}])");
        _invalidAccessHooks.Add(hook);
    }

    // Each side's TLB entries go with it: the CPU's make every page executable (stores stay slow), direct ones leave
    // writable pages not executable, which the CPU's code translation would not see (its stores would go fast).
    private void TranslateDirectlyNow(bool direct)
    {
        if (_directNow != direct)
        {
            Check(Unicorn.Control(Handle, Unicorn.CtlWriteTlbType, direct ? Unicorn.TlbVirtual : Unicorn.TlbCpu), "uc_ctl(TLB_TYPE)");
            FlushTlb();
            _directNow = direct;
        }
    }

    private void FlushTlb() => Check(Unicorn.Control(Handle, Unicorn.CtlWriteTlbFlush, 0L), "uc_ctl(TLB_FLUSH)");

    // Writable memory that becomes code must only get executable TLB entries while translating directly (see OnTlbFill):
    // the entries that made it writable without being executable go.
    private void MarkCode(ulong page)
    {
        if (IsWritable(page) && _fetched.Add(page) && _directNow)
        {
            FlushTlb();
        }
    }

    // Code translated while the CPU's MMU filled the TLB (no fetch came to OnTlbFill) is found when its block is first entered.
    private void CodeSeen(ulong address, uint size)
    {
        MarkCode(address & ~(PageSize - 1));
        MarkCode((address + Math.Max(size, 1) - 1) & ~(PageSize - 1));
    }

    private static uint ProtOf(Permissions permissions) =>
        (permissions.HasFlag(Permissions.Read) ? Unicorn.ProtRead : 0) | (permissions.HasFlag(Permissions.Write) ? Unicorn.ProtWrite : 0)
        | (permissions.HasFlag(Permissions.Execute) ? Unicorn.ProtExec : 0);

    // The protection hook of MMIO windows: the access is let through to the window's handler (mov eax, 1; ret).
    private static readonly Lazy<nint> MmioPass = new(() => ExecutableCode.Place([0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3], "The MMIO windows' protection hook"));

    private static UnicornEngine From(nint user) => (UnicornEngine)GCHandle.FromIntPtr(user).Target!;

    private bool CountsBlock(ulong address)
    {
        foreach (var (start, size) in _notCounted)
        {
            if (address - start < size)
            {
                return false;
            }
        }
        return true;
    }

    [UnmanagedCallersOnly]
    private static void OnBlock(nint engine, ulong address, uint size, nint user)
    {
        // Reached from BlockCounter's stub: a block new to the table (not counted yet), or the budget spent (counted).
        var c = (BlockCounter*)user;
        var self = From(c->Owner);
        Interlocked.Exchange(ref self._reportAsked, 0);   // this is the report asked for
        if (self._edgeBeforeRestart is { } previous)
        {
            self._edges->Previous = previous;   // the re-entry after ReenterBlock: from where the undone entry came
            self._edgeBeforeRestart = null;
        }
        try
        {
            var (slot, key) = BlockCounter.Locate(address, size);
            if (c->Keys[slot] != key)
            {
                // A table hit was counted in Blocks by the stub; a miss is counted here, unless the block is the owner's
                // own code, which then never enters the table (and comes here each time: rare, e.g. once per exception entry).
                bool counted = self.CountsBlock(address);
                if (self._direct is not null)
                {
                    self.CodeSeen(address, size);
                }
                if (counted)
                {
                    c->Blocks++;
                }
                // Instructions in a translated block (decoded once; the table keeps the count).
                Span<byte> code = size <= 1024 ? stackalloc byte[(int)size] : new byte[size];
                self.ReadOrZeros(address, code);
                // A block of size 0 is one instruction that raises at translation (Unicorn gives it no size).
                uint count = size == 0 ? 1 : self.Events.CountInstructions(address, code);
                if (counted && (self._reportedAt.Count == 0 || !self.HoldsReported(address, size)))
                {
                    c->Keys[slot] = key;
                    c->Counts[slot] = count;
                }
                c->BeforeBlock = c->Instructions;
                c->BlockAddress = address;
                c->BlockSize = size;
                c->BlockCount = count;
                c->Instructions += count;
            }
            ulong next = self.Events.BlockEntered(address);
            c->Budget = next >= ulong.MaxValue - c->Instructions ? ulong.MaxValue : c->Instructions + next;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref self._reportAsked) != 0)
            {
                c->Budget = 0;   // asked again meanwhile (from another thread, or by BlockEntered itself)
            }
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnInterrupt(nint engine, uint number, nint user)
    {
        var self = From(user);
        self._inInterrupt = true;
        try
        {
            self.Events.Interrupt(number);
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
        finally
        {
            self._inInterrupt = false;
        }
        if (self._restart && self._uncounted)
        {
            self.StopFromCallback();   // Run starts the engine again at the new PC
        }
    }

    [UnmanagedCallersOnly]
    private static byte OnTlbFill(nint engine, ulong page, int type, UnicornTlbEntry* entry, nint user)
    {
        var self = From(user);
        var access = type switch { Unicorn.MemFetchAccess => AccessKind.Execute, Unicorn.MemWriteAccess => AccessKind.Write, _ => AccessKind.Read };
        try
        {
            // After a run Unicorn looks up the page before its exit address (to drop the exit's code) outside the CPU
            // loop, where a decline would only turn the run's result into an error: that page (next to the owner's halt
            // page, or inside a block for a count) is taken one to one.
            if (self._direct!(page, access) || (access == AccessKind.Execute && page == self._exitPage))
            {
                // One to one, as the CPU would map it, and executable only if ever fetched from: Unicorn lets stores to a
                // page leave its slow path (which notices code being overwritten) only if its TLB entry is not executable.
                // The regions' own permissions still apply.
                if (access == AccessKind.Execute)
                {
                    self.MarkCode(page);
                }
                entry->PhysicalAddress = page;
                entry->Permissions = access == AccessKind.Execute || self._fetched.Contains(page)
                    ? Unicorn.ProtRead | Unicorn.ProtWrite | Unicorn.ProtExec
                    : Unicorn.ProtRead | Unicorn.ProtWrite;
                if (self._witness is not null)
                {
                    // Write permission only to a store, which reports its page (the host page holding the TLB's page)
                    // first: a later store to a page only read so far comes back here.
                    if (access == AccessKind.Write)
                    {
                        self.Witnessed(page & ~0xFFFUL, 0x1000);
                    }
                    else
                    {
                        entry->Permissions &= ~Unicorn.ProtWrite;
                    }
                }
                if (access != AccessKind.Execute)
                {
                    self.UndoItStateRestore();
                }
                return 1;
            }
            self._declined = access;   // Unicorn stops with UC_ERR_EXCEPTION; Run goes on with the CPU's MMU
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
        return 0;
    }

    // Unicorn restores the CPU state of the accessing instruction (cpu_restore_state) before a TLB fill or a memory hook
    // of a load or store (the MMIO windows' protection hooks, invalid-access and watch hooks), and goes on with the
    // block. In a Thumb IT block that leaves the instruction's IT bits in the CPU, which the translated code does not
    // expect: a block clears them where it starts and writes them only where it ends inside an IT block, so once the IT
    // block ends within the block they would stay set and the next block would be translated as if inside one. While a
    // block runs they are zero: put them back.
    private void UndoItStateRestore()
    {
        if (_thumb && _running && (ReadRegister(Unicorn.ArmRegXpsr) & XpsrIt) != 0)
        {
            WriteRegister(Unicorn.ArmRegEpsr, XpsrThumb);   // IT bits and T only
        }
    }

    private const ulong XpsrIt = 0x0600_FC00;      // IT[1:0] (bits 26:25) and IT[7:2] (bits 15:10)
    private const ulong XpsrThumb = 0x0100_0000;

    [UnmanagedCallersOnly]
    private static byte OnInvalidMemory(nint engine, int type, ulong address, int size, long value, nint user)
    {
        var self = From(user);
        var (access, unmapped) = type switch
        {
            Unicorn.MemReadUnmapped => (AccessKind.Read, true),
            Unicorn.MemWriteUnmapped => (AccessKind.Write, true),
            Unicorn.MemFetchUnmapped => (AccessKind.Execute, true),
            Unicorn.MemWriteProt => (AccessKind.Write, false),
            Unicorn.MemReadProt => (AccessKind.Read, false),
            _ => (AccessKind.Execute, false),
        };
        try
        {
            if (!self.Events.InvalidAccess(access, unmapped, address, size, (ulong)value))
            {
                return 0;   // the run stops on the instruction, with its IT state
            }
            if (access != AccessKind.Execute)
            {
                self.UndoItStateRestore();   // the block goes on
            }
            return 1;
        }
        catch (Exception e)
        {
            self.Fail(e);
            return 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnInstruction(nint engine, ulong address, uint size, nint user)
    {
        var self = From(user);
        try
        {
            self.Events.InstructionReached(address);
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnWatchedMemory(nint engine, int type, ulong address, int size, long value, nint user)
    {
        var self = From(user);
        try
        {
            self.UndoItStateRestore();
            self.Events.MemoryWatched(type == Unicorn.MemWriteAccess ? AccessKind.Write : AccessKind.Read, address, size);
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static uint OnMrs(nint engine, int rt, Arm64SystemRegister* register, nint user)
    {
        var self = From(user);
        try
        {
            if (!self.Events.SystemRegisterRead(new SystemRegister(register->Op0, register->Op1, register->Crn, register->Crm, register->Op2), out ulong value))
            {
                return 0;
            }
            if (rt != Unicorn.Arm64RegXzr)
            {
                self.WriteRegister(rt, value);
            }
            return 1;
        }
        catch (Exception e)
        {
            self.Fail(e);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static uint OnMsr(nint engine, int rt, Arm64SystemRegister* register, nint user)
    {
        var self = From(user);
        try
        {
            return self.Events.SystemRegisterWritten(new SystemRegister(register->Op0, register->Op1, register->Crn, register->Crm, register->Op2), register->Value) ? 1u : 0;
        }
        catch (Exception e)
        {
            self.Fail(e);
            return 1;
        }
    }

    private sealed record MmioWindow(UnicornEngine Engine, IMmioHandler Handler);

    [UnmanagedCallersOnly]
    private static ulong OnMmioRead(nint engine, ulong offset, uint size, nint user)
    {
        var window = (MmioWindow)GCHandle.FromIntPtr(user).Target!;
        try
        {
            window.Engine.UndoItStateRestore();   // the protection hook before this call restored it
            return window.Handler.Read(offset, (int)size);
        }
        catch (Exception e)
        {
            window.Engine.Fail(e);
            return 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnMmioWrite(nint engine, ulong offset, uint size, ulong value, nint user)
    {
        var window = (MmioWindow)GCHandle.FromIntPtr(user).Target!;
        try
        {
            window.Engine.UndoItStateRestore();
            window.Handler.Write(offset, (int)size, value);
        }
        catch (Exception e)
        {
            window.Engine.Fail(e);
        }
    }
}
