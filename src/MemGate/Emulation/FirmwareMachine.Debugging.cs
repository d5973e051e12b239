using MemGate.Engine;
using MemGate.Memory;

namespace MemGate.Emulation;

// What a debugger needs of a machine (the GDB server drives it): breakpoints, watchpoints, single steps,
// a reset that stops before the first instruction, and memory as the debugger sees it.
public abstract partial class FirmwareMachine
{
    private readonly Dictionary<ulong, int> _breakpoints = [];   // address -> how many times it was set
    private readonly List<(ulong Address, ulong Length, WatchKind Kind, int Id)> _watchpoints = [];
    private RunOutcome? _debugStop;     // the run ended at a breakpoint or watchpoint
    private WatchpointHit? _watchHit;   // an access met a watchpoint: stop before the next instruction
    private bool _stepping;

    // With WatchpointsStopBefore: the instruction about to run, the CPU as it found it and the old bytes of the watched
    // memory it writes; once it met a watchpoint, what the end of the run puts back.
    private (ulong Address, ulong Next, ICpuContext? Cpu, List<(ulong Address, byte[] Old)> Writes) _current = (0, 0, null, []);
    private (ulong Address, ICpuContext Cpu, List<(ulong Address, byte[] Old)> Writes)? _watchUndo;
    private ulong? _passWatch;   // the undone instruction: when the run goes on from it, its access does not stop it again

    /// <summary>
    /// Whether a watchpoint stops before the instruction that made the access, which is undone (registers and the watched
    /// bytes it wrote) and runs again when the run goes on, instead of after it. GDB expects that of ARM, AArch64 and
    /// RISC-V targets (it steps over the instruction itself), and QEMU's ARM targets do it; the GDB server sets it. Where an
    /// instruction cannot be undone (an exception came between it and the next, inside a Thumb IT block, a branch), the
    /// stop stays after it.
    /// </summary>
    internal bool WatchpointsStopBefore { get; set; }

    /// <summary>The access that ended the last run with <see cref="RunOutcome.Watchpoint"/>.</summary>
    public WatchpointHit? LastWatchpoint { get; private set; }

    /// <summary>
    /// The program counter (without the Thumb bit); setting it moves execution there for <see cref="Continue"/>. A stop in the
    /// machine's own code (the sequence a Cortex-M's exception entry and return go through) shows where that code goes on in the firmware.
    /// </summary>
    public ulong ProgramCounter
    {
        get => MachineCodeLeadsTo(ResumePoint) ?? ResumePoint;
        set
        {
            if (MachineCodeLeadsTo(ResumePoint) == value)
            {
                return;   // where the machine's own code goes on anyway (a debugger writing back all registers): it still runs (CLREX, an IT state, EPSR.T)
            }
            _resumePc = null;
            SetRegister(ProgramCounterRegister, CodeAddress(value));
        }
    }

    /// <summary>Whether the last run ended for good (the firmware exited or faulted): <see cref="Continue"/> has nothing to go on with.</summary>
    public bool Ended
    {
        get
        {
            ulong pc = ResumePoint;
            return pc >= _haltAddress && pc < _haltAddress + Granule;
        }
    }

    /// <summary>
    /// Stops runs with <see cref="RunOutcome.Breakpoint"/> before the instruction at <paramref name="address"/> runs.
    /// Set twice, it must be removed twice (a debugger's software and hardware breakpoint at one place).
    /// </summary>
    public void AddBreakpoint(ulong address)
    {
        address = CodeAddress(address) & ~1UL;
        _breakpoints[address] = _breakpoints.GetValueOrDefault(address) + 1;
        _engine.HookInstruction(address);
        WatchBlocksHolding(address, true);
        InvalidateCode(address, 1);   // a block translated before the hook would run past it
    }

    /// <summary>Whether a breakpoint is set at <paramref name="address"/> (a debugger tells its own stops from others by it).</summary>
    public bool HasBreakpoint(ulong address) => _breakpoints.ContainsKey(CodeAddress(address) & ~1UL);

    /// <summary>Removes one <see cref="AddBreakpoint"/> at <paramref name="address"/>; false when there was none.</summary>
    public bool RemoveBreakpoint(ulong address)
    {
        address = CodeAddress(address) & ~1UL;
        if (!_breakpoints.TryGetValue(address, out int count))
        {
            return false;
        }
        if (count > 1)
        {
            _breakpoints[address] = count - 1;
        }
        else
        {
            _breakpoints.Remove(address);
        }
        _engine.UnhookInstruction(address);
        WatchBlocksHolding(address, false);
        return true;
    }

    /// <summary>
    /// Stops runs with <see cref="RunOutcome.Watchpoint"/> after an instruction that reads or writes (as
    /// <paramref name="kind"/> says) any byte of [address, address + length), before the next one runs.
    /// The CPU's accesses are watched, not the host's or a debugger's. Runs are slower while any is set.
    /// </summary>
    public void AddWatchpoint(ulong address, ulong length, WatchKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfZero(length);
        int id = _engine.WatchMemory(address, length, reads: kind != WatchKind.Write, writes: kind != WatchKind.Read);
        _watchpoints.Add((address, length, kind, id));
        _engine.ReportEveryInstruction(true);
    }

    /// <summary>Removes a watchpoint set with the same arguments; false when there was none.</summary>
    public bool RemoveWatchpoint(ulong address, ulong length, WatchKind kind)
    {
        int index = _watchpoints.FindIndex(w => w.Address == address && w.Length == length && w.Kind == kind);
        if (index < 0)
        {
            return false;
        }
        _engine.UnwatchMemory(_watchpoints[index].Id);
        _watchpoints.RemoveAt(index);
        if (_watchpoints.Count == 0)
        {
            _engine.ReportEveryInstruction(false);
        }
        return true;
    }

    /// <summary>
    /// Runs one instruction from where the machine stopped, as <see cref="Continue"/> does but with interrupts
    /// held off (as QEMU's debugger steps), so a step stays in the code being stepped.
    /// </summary>
    public RunResult Step()
    {
        _stepping = true;
        try
        {
            return Continue(maxInstructions: 1);
        }
        finally
        {
            _stepping = false;
        }
    }

    /// <summary>Resets the CPU as <see cref="Run"/> does and stops before the first instruction: <see cref="Continue"/> starts the firmware.</summary>
    public void ResetHalted()
    {
        ulong start = PrepareReset();
        _reached = null;
        _debugStop = null;
        _exitCode = null;
        _fault = null;
        _resumePc = null;
        SetRegister(ProgramCounterRegister, start);
    }

    /// <summary>
    /// Reads guest memory for a debugger: RAM, flash and ROM ignoring permissions, aliases of them, and registers whose models
    /// say they read without side effects (<see cref="IQuietReads"/>: the Cortex-M NVIC, SCB and FPU); other peripheral registers
    /// only when <paramref name="throughPeripherals"/> (a read of a register may change the device: a FIFO pops, a
    /// flag clears, MMIO input is consumed). False when any byte is unmapped or a peripheral's.
    /// </summary>
    public bool TryReadDebugMemory(ulong address, Span<byte> destination, bool throughPeripherals = false)
    {
        var main = Memory.Main;
        int done = 0;
        while (done < destination.Length)
        {
            ulong at = address + (ulong)done;
            if (main.FindRegion(new GuestAddress(at)) is not { } region)
            {
                return false;
            }
            // An alias of RAM or flash (a boot alias, SRAM's bit-band) reads like memory; peripherals only when asked.
            int length = (int)Math.Min((ulong)(destination.Length - done), region.Last.Value - at + 1);
            bool memory = region.HasHostMemory || (region.Handler is IMemoryWindow window && window.ShowsMemoryOnly(at - region.Start.Value, (ulong)length));
            bool quiet = region.Handler is IQuietReads registers && registers.ReadsQuietly(at - region.Start.Value, (ulong)length);
            if (!memory && !quiet && !throughPeripherals)
            {
                return false;
            }
            if (!memory)
            {
                SyncTime();
            }
            try
            {
                main.Debug.Read(new GuestAddress(at), destination.Slice(done, length));
            }
            catch (GuestMemoryException)
            {
                return false;   // a hole inside the region
            }
            done += length;
        }
        return true;
    }

    /// <summary>Writes guest memory for a debugger (flash and ROM included; a peripheral register takes the write as from the CPU); false when any byte is unmapped, and then nothing was written.</summary>
    public bool TryWriteDebugMemory(ulong address, ReadOnlySpan<byte> source)
    {
        try
        {
            SyncTime();
            Memory.Main.Debug.Write(new GuestAddress(address), source);
        }
        catch (GuestMemoryException)
        {
            return false;
        }
        InvalidateCode(address, (ulong)Math.Max(1, source.Length));   // the debugger may have written code (software breakpoints, `load`)
        return true;
    }

    // Before the instruction at `address` runs: count up to it, leave its block uncovered if new, and end the run there.
    // Where the engine cannot stop, the run ends before the next block instead, which says so.
    private void HaltBefore(ulong address, RunOutcome? stop, string what)
    {
        if (!CanStopAt(address))
        {
            _debugStop = stop;   // no other stop point is looked at meanwhile
            _lateStop = (stop, $"{what} at 0x{address:X8}");
            LookAtNextBlock();
            return;
        }
        HaltBefore(address, stop);
    }

    private void HaltBefore(ulong address, RunOutcome? stop)
    {
        _lateStop = null;   // this stop comes first
        _engine.CountUpTo(address, including: false);
        if (_newBlock == address)
        {
            _coverage!.Remove(address);
        }
        _debugStop = stop;
        _resumePc = address;
        Halt();
    }

    // A stop address where a hook may not be able to end the run (inside a Thumb IT block) is approached from its block's
    // start (ApproachesUnstoppable), so blocks holding it are looked at on every entry.
    private void WatchBlocksHolding(ulong address, bool watch)
    {
        if (!HooksStopAnywhere)
        {
            _engine.ReportEveryEntry(address, watch);
        }
    }

    // Whether the run is to stop before the instruction at `address` (a breakpoint or stop point Continue does not start at).
    private protected bool WantsStopAt(ulong address) =>
        address != _passStop && (_breakpoints.ContainsKey(address) || _stopPoints.ContainsKey(address));

    // A breakpoint or stop point in the block being entered where a hook could not end the run: the block does not run now.
    // The engine stops before it and then, unless the stop is the block's first instruction, runs it again up to that
    // instruction as an exit address. The engine checks exits before an IT block's condition and keeps the IT state
    // there, so the stop is exact, as QEMU's breakpoints are.
    private bool ApproachesUnstoppable(ulong address)
    {
        // Not after a faulting access in this run (its handler is being set up, and the stop would undo that), nor with a stop pending.
        if (HooksStopAnywhere || (_breakpoints.Count == 0 && _stopPoints.Count == 0) || _debugStop is not null || _reached is not null
            || _accessTrap is not null || !HoldsStop(address & ~1UL, _engine.BlockSize)
            || FirstUnstoppable(address & ~1UL, _engine.BlockSize) is not { } stop)
        {
            return false;
        }
        if (_maxInstructions > 0 && Instructions - BlockInstructions + stop.Before >= _maxInstructions)
        {
            return false;   // the instruction limit comes first (ApproachesLimit)
        }
        _stoppedBeforeBlock = true;
        _engine.Stop();
        if (stop.Address == (address & ~1UL))
        {
            StopAtExit(stop.Address);
        }
        else
        {
            _exitAt = stop.Address;
        }
        return true;
    }

    // Whether a breakpoint or stop point lies in [address, address + size): most blocks reported hold none, and this
    // is cheaper than decoding them (blocks are reported at every MMIO access, too).
    private bool HoldsStop(ulong address, uint size) => _breakpoints.Keys.Concat(_stopPoints.Keys).Any(at => at - address < size);

    // The run reached a stop address as an exit (ApproachesUnstoppable): end it there as the instruction's hook would have.
    private void StopAtExit(ulong address)
    {
        if (_breakpoints.ContainsKey(address))
        {
            _debugStop = RunOutcome.Breakpoint;
        }
        else
        {
            _reached = _stopPoints[address];
        }
        _resumePc = address;
    }

    private void MemoryWatched(AccessKind access, ulong address, int size)
    {
        if (WatchpointsStopBefore && access == AccessKind.Write && _current.Cpu is not null && _debugStop is null)
        {
            var old = new byte[Math.Max(size, 1)];
            if (TryReadDebugMemory(address, old))
            {
                _current.Writes.Add((address, old));   // the engine calls this before it writes
            }
        }
        if (_watchHit is not null || _debugStop is not null)
        {
            return;
        }
        foreach (var (start, length, kind, _) in _watchpoints)
        {
            bool overlaps = address < start + length && start < address + (ulong)Math.Max(size, 1);
            bool wanted = kind == WatchKind.Access || (kind == WatchKind.Write) == (access == AccessKind.Write);
            if (overlaps && wanted)
            {
                _watchHit = new WatchpointHit(access, address, size, start, kind);
                return;
            }
        }
    }

    private void InstructionStarting(ulong address, uint size)
    {
        // The instruction that made the access has completed; the machine's own pages are not where a debugger stops.
        if (_watchHit is not null && _passWatch is { } passing && passing == _current.Address)
        {
            _watchHit = null;   // the access a watchpoint stopped before, made now (GDB steps it with watchpoints out; a client may not)
            _passWatch = null;
        }
        if (_watchHit is { } hit && _debugStop is null && address - _haltAddress >= Granule && address - _machineCodeAddress >= Granule)
        {
            _watchHit = null;
            LastWatchpoint = hit;
            // Undone at the end of the run if it ran on its own: straight on to this instruction, no exception between
            // (which would have pushed a frame), outside an IT block.
            if (WatchpointsStopBefore && _current.Cpu is { } before && address == _current.Next && CanStopAt(address) && CanStopAt(_current.Address))
            {
                _watchUndo = (_current.Address, before, _current.Writes);
                _current = (0, 0, null, []);
            }
            HaltBefore(address, RunOutcome.Watchpoint, "a watchpoint's access");
            return;
        }
        if (address != _passWatch)
        {
            _passWatch = null;
        }
        if (WatchpointsStopBefore && _watchpoints.Count > 0)
        {
            if (_current.Cpu is { } cpu)
            {
                _engine.SaveContext(cpu);
            }
            else
            {
                _current.Cpu = _engine.SaveContext();
            }
            _current.Writes.Clear();
            (_current.Address, _current.Next) = (address, address + size);
        }
    }

    // A run that stopped at a watchpoint after the instruction that made the access: back to before that instruction.
    private void UndoWatchedInstruction()
    {
        if (_watchUndo is not { } undo)
        {
            return;
        }
        _watchUndo = null;
        using (undo.Cpu)
        {
            _engine.RestoreContext(undo.Cpu);
        }
        for (int i = undo.Writes.Count - 1; i >= 0; i--)
        {
            TryWriteDebugMemory(undo.Writes[i].Address, undo.Writes[i].Old);
        }
        _engine.Instructions--;
        _resumePc = undo.Address;
        _passWatch = undo.Address;
    }

    private void DropWatchUndo()
    {
        _watchUndo?.Cpu.Dispose();
        _watchUndo = null;
        _current.Cpu?.Dispose();
        _current = (0, 0, null, []);
    }
}
