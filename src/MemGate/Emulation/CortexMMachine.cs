using System.Diagnostics;
using System.Runtime.InteropServices;
using MemGate.Devices;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;

namespace MemGate.Emulation;

/// <summary>
/// Runs Cortex-M firmware on Unicorn directly on a device's MemGate memory: RAM and flash are mapped
/// with <c>uc_mem_map_ptr</c> on MemGate's own host pages (no copies; permissions carried over);
/// peripheral regions and pages that regions share go through <c>uc_mmio_map</c> to the guest-memory
/// API, so register models, policies and traces apply. Reset loads SP and PC from the vector table;
/// ARM semihosting (SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT, SYS_EXIT_EXTENDED) reaches the output
/// and the exit code; the STM32 USART1 transmits to the output.
/// </summary>
/// <remarks>
/// Not yet here (issue 6): NVIC and SysTick exception entry, other CPU families. An exception thrown in
/// a callback never crosses into native code: it is kept, the engine is stopped, and it is rethrown
/// when <see cref="Run"/> returns.
/// </remarks>
public sealed unsafe class CortexMMachine : IDisposable
{
    private const ulong Granule = 1024;   // Unicorn's ARM mapping granularity
    // uc_emu_stop from an interrupt hook does not stop Unicorn 2.0.1; sending the PC to the `until`
    // address of uc_emu_start does, provided code is mapped there (a fetch fault would come first).
    // A granule no region uses gets "b ." instructions for that; it must lie where the default memory map
    // allows execution (code, SRAM or external RAM space: device space is execute-never).
    private static readonly ulong[] HaltCandidates = [0x9FFF_FC00, 0x7FFF_FC00, 0x3FFF_FC00, 0x1FFD_0000];
    private ulong _haltAddress;
    private nint _haltPage;
    private const int SysWriteC = 0x03;
    private const int SysWrite0 = 0x04;
    private const int SysWrite = 0x05;
    private const int SysExit = 0x18;
    private const int SysExitExtended = 0x20;
    private const uint AdpStoppedApplicationExit = 0x20026;

    private readonly UnicornHandle _engine;
    private readonly TextWriter _output;
    private readonly List<GCHandle> _pins = [];
    private Exception? _pending;
    private readonly CortexMExceptions _exceptions;
    private EmulationFault? _fault;
    private int? _exitCode;

    // Benchmarks only: RAM and flash in engine-owned memory (uc_mem_map) filled from MemGate at each run —
    // "raw Unicorn" as the baseline for MemGate's zero-copy mapping.
    private readonly bool _engineOwned;
    private readonly List<(ulong Address, ulong Size)> _copied = [];

    private CortexMMachine(DeviceMemory memory, TextWriter output, int cpuModel, CortexMExceptions exceptions, bool engineOwned)
    {
        Memory = memory;
        _exceptions = exceptions;
        _output = output;
        _engineOwned = engineOwned;
        _engine = UnicornHandle.Open(Unicorn.ArchArm, Unicorn.ModeThumb);
        Check(Unicorn.Control(Engine, Unicorn.CtlWriteCpuModel, cpuModel), "uc_ctl(CPU_MODEL)");
        var self = GCHandle.Alloc(this);
        _pins.Add(self);
        MapMemory();
        MapHaltPage();
        nint hook;
        Check(Unicorn.HookAdd(Engine, out hook, Unicorn.HookIntr, (delegate* unmanaged<nint, uint, nint, void>)&OnInterrupt, GCHandle.ToIntPtr(self), 1, 0), "uc_hook_add(INTR)");
        Check(Unicorn.HookAdd(Engine, out hook, Unicorn.HookBlock, (delegate* unmanaged<nint, ulong, uint, nint, void>)&OnBlock, GCHandle.ToIntPtr(self), 1, 0), "uc_hook_add(BLOCK)");
        Check(Unicorn.HookAdd(Engine, out hook, Unicorn.HookMemInvalid, (delegate* unmanaged<nint, int, ulong, int, long, nint, byte>)&OnInvalidMemory, GCHandle.ToIntPtr(self), 1, 0), "uc_hook_add(MEM_INVALID)");
    }

    /// <summary>The device's memory the firmware runs in.</summary>
    public DeviceMemory Memory { get; }

    /// <summary>The CPU model in use ("cortex-m3" or "cortex-m4").</summary>
    public string Cpu => Memory.Device.Cpu;

    private nint Engine => _engine.DangerousGetHandle();

    /// <summary>Allocates <paramref name="device"/> with a USART1 model for STM32 parts and builds the engine for its CPU.</summary>
    /// <exception cref="NotSupportedException">The device's CPU is not a Cortex-M3 or M4, or Unicorn is not installed.</exception>
    /// <param name="device">A Cortex-M3 or M4 device.</param>
    /// <param name="output">Where the UART and semihosting output goes.</param>
    /// <param name="baseDirectory">Where the device's files are relative to.</param>
    /// <param name="trace">Records every peripheral access, with the program counter.</param>
    public static CortexMMachine Create(DeviceDescription device, TextWriter output, string? baseDirectory = null, MmioTrace? trace = null) =>
        Create(device, output, baseDirectory, trace, engineOwned: false);

    internal static CortexMMachine Create(DeviceDescription device, TextWriter output, string? baseDirectory, MmioTrace? trace, bool engineOwned)
    {
        int model = device.Cpu.ToLowerInvariant() switch
        {
            "cortex-m3" => Unicorn.CpuArmCortexM3,
            "cortex-m4" => Unicorn.CpuArmCortexM4,
            _ => throw new NotSupportedException($"Device '{device.Name}' has CPU '{device.Cpu}'; the Cortex-M machine runs cortex-m3 and cortex-m4."),
        };
        if (!Unicorn.IsAvailable())
        {
            throw new NotSupportedException("libunicorn.so.2 is not installed (Debian: apt-get install libunicorn2); firmware cannot run here.");
        }
        var exceptions = new CortexMExceptions();
        var models = new List<PeripheralModel>();
        if (device.Regions.Any(r => r.Type == DeviceRegionType.Mmio && r.Start <= 0xE000_E010 && r.Last >= 0xE000_ED0F))
        {
            models.Add(new PeripheralModel("SysTick", 0xE000_E010, 0x10, exceptions.SysTickBlock));
            models.Add(new PeripheralModel("SCB", 0xE000_ED00, 0x10, exceptions.ScbBlock));
        }
        if (device.Name.StartsWith("STM32F1", StringComparison.OrdinalIgnoreCase))
        {
            models.Add(new PeripheralModel("USART1", 0x4001_3800, 0x400, Stm32Usart.Create("USART1", 0x4001_3800, output)));
        }
        else if (device.Name.StartsWith("STM32F4", StringComparison.OrdinalIgnoreCase))
        {
            models.Add(new PeripheralModel("USART1", 0x4001_1000, 0x400, Stm32Usart.Create("USART1", 0x4001_1000, output)));
        }
        var memory = DeviceMemory.Allocate(device, new DeviceMemoryOptions { BaseDirectory = baseDirectory, Models = models, Trace = trace });
        try
        {
            var machine = new CortexMMachine(memory, output, model, exceptions, engineOwned);
            if (trace is not null)
            {
                trace.ProgramCounter = () => machine.ReadPc();
            }
            return machine;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Writes an image into the device (loader path) and drops the engine's translations of those addresses.</summary>
    public void Load(Firmware.FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.LoadInto(Memory.Main);
        foreach (var segment in image.Segments)
        {
            InvalidateCode(segment.Address, (ulong)segment.Data.LongLength);
        }
    }

    /// <summary>
    /// Drops Unicorn's translated code for [address, address + length): call it after writing code from
    /// the host (the engine reads MemGate's pages directly, but keeps translations of code it ran).
    /// </summary>
    public void InvalidateCode(ulong address, ulong length) =>
        Check(Unicorn.Control(Engine, Unicorn.CtlWriteTbRemoveCache, address, address + length), "uc_ctl(TB_REMOVE_CACHE)");

    /// <summary>
    /// Resets the CPU from the vector table at address 0 and runs until the firmware exits, faults, or a
    /// limit is reached (0 = none).
    /// </summary>
    /// <exception cref="EmulationFault">The firmware faulted; the exception carries PC, address and access.</exception>
    public RunResult Run(ulong maxInstructions = 0, TimeSpan? timeout = null)
    {
        var main = Memory.Main;
        foreach (var (address, size) in _copied)
        {
            Check(Unicorn.MemWrite(Engine, address, (void*)main.Translate(new GuestAddress(address), size), (nuint)size), "uc_mem_write");
        }
        ulong sp = main.Debug.ReadUInt32(new GuestAddress(0));
        ulong pc = main.Debug.ReadUInt32(new GuestAddress(4));
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegSp, sp), "uc_reg_write(SP)");
        _pending = null;
        _fault = null;
        _exitCode = null;
        var clock = Stopwatch.StartNew();
        ulong micros = timeout is { } t ? (ulong)Math.Max(1, t.TotalMicroseconds) : 0;
        // With a count Unicorn checks for stop requests at every instruction; without one, a firmware
        // spinning in "b ." after an exit request would never stop (Unicorn 2.0.1).
        int error = Unicorn.EmuStart(Engine, pc | 1, _haltAddress, micros, (nuint)(maxInstructions > 0 ? maxInstructions : long.MaxValue));
        clock.Stop();
        if (_pending is { } pending)
        {
            throw new EmulationFault($"Run stopped at PC 0x{ReadPc():X8}: {pending.Message}", ReadPc(), (pending as GuestMemoryException)?.Address.Value,
                (pending as GuestMemoryException)?.Access, pending);
        }
        if (_fault is { } fault)
        {
            throw fault;
        }
        if (_exitCode is { } code)
        {
            return new RunResult(code, "exit", clock.Elapsed);
        }
        if (error != 0)
        {
            throw new EmulationFault($"Run stopped at PC 0x{ReadPc():X8}: {Unicorn.Describe(error)}", ReadPc(), null, null);
        }
        string reason = timeout is not null && clock.Elapsed >= timeout.Value ? "timeout" : maxInstructions > 0 ? "instruction limit" : "stopped";
        return new RunResult(null, reason, clock.Elapsed);
    }

    /// <summary>Asks a running <see cref="Run"/> to stop (from another thread, e.g. on Ctrl-C); it returns with reason "stopped".</summary>
    public void RequestStop() => Unicorn.EmuStop(Engine);

    /// <summary>Closes the engine and releases the memory.</summary>
    public void Dispose()
    {
        _engine.Dispose();
        if (_haltPage != 0)
        {
            NativeMemory.Free((void*)_haltPage);
            _haltPage = 0;
        }
        foreach (var pin in _pins)
        {
            pin.Free();
        }
        _pins.Clear();
        Memory.Dispose();
    }

    // RAM and flash interiors straight onto MemGate's host pages; peripherals and shared edge pages via MMIO.
    private void MapMemory()
    {
        var main = Memory.Main;
        var mixed = new SortedSet<ulong>();
        foreach (var region in main.Regions)
        {
            ulong start = region.Start.Value;
            ulong end = start + region.Size;
            ulong inner = AlignUp(start);
            ulong innerEnd = end & ~(Granule - 1);
            for (ulong page = start & ~(Granule - 1); page < inner; page += Granule)
            {
                mixed.Add(page);
            }
            for (ulong page = Math.Max(innerEnd, inner); page < end; page += Granule)
            {
                mixed.Add(page);
            }
            if (innerEnd <= inner)
            {
                continue;
            }
            if (region.HasHostMemory && _engineOwned)
            {
                Check(Unicorn.MemMap(Engine, inner, (nuint)(innerEnd - inner), ProtOf(region.Permissions)), $"uc_mem_map(region '{region.Name}')");
                _copied.Add((inner, innerEnd - inner));
            }
            else if (region.HasHostMemory && main.TryTranslate(new GuestAddress(inner), out nint host))
            {
                Check(Unicorn.MemMapPtr(Engine, inner, (nuint)(innerEnd - inner), ProtOf(region.Permissions), host),
                    $"uc_mem_map_ptr(region '{region.Name}' [0x{inner:X}, 0x{innerEnd:X}))");
            }
            else
            {
                MapMmio(inner, innerEnd - inner);
            }
        }
        ulong? runStart = null;
        ulong runEnd = 0;
        foreach (ulong page in mixed)
        {
            if (runStart is not null && page == runEnd)
            {
                runEnd += Granule;
                continue;
            }
            if (runStart is { } s)
            {
                MapMmio(s, runEnd - s);
            }
            runStart = page;
            runEnd = page + Granule;
        }
        if (runStart is { } last)
        {
            MapMmio(last, runEnd - last);
        }
    }

    private void MapHaltPage()
    {
        var main = Memory.Main;
        _haltAddress = HaltCandidates.FirstOrDefault(a => main.Regions.All(r => r.Last.Value < a || r.Start.Value >= a + Granule));
        if (_haltAddress == 0)
        {
            throw new NotSupportedException($"Device '{Memory.Device.Name}' leaves no free 1 KiB page for the run's halt address.");
        }
        _haltPage = (nint)NativeMemory.AlignedAlloc((nuint)Granule, (nuint)Granule);
        new Span<ushort>((void*)_haltPage, (int)Granule / 2).Fill(0xE7FE);   // b .
        Check(Unicorn.MemMapPtr(Engine, _haltAddress, (nuint)Granule, Unicorn.ProtRead | Unicorn.ProtExec, _haltPage), "uc_mem_map_ptr(halt page)");
    }

    private void MapMmio(ulong address, ulong size)
    {
        var context = GCHandle.Alloc(new MmioWindow(this, address));
        _pins.Add(context);
        nint user = GCHandle.ToIntPtr(context);
        Check(Unicorn.MmioMap(Engine, address, (nuint)size, &OnMmioRead, user, &OnMmioWrite, user), $"uc_mmio_map([0x{address:X}, +0x{size:X}))");
    }

    private sealed record MmioWindow(CortexMMachine Machine, ulong Base);

    [UnmanagedCallersOnly]
    private static ulong OnMmioRead(nint engine, ulong offset, uint size, nint user)
    {
        var window = (MmioWindow)GCHandle.FromIntPtr(user).Target!;
        try
        {
            var main = window.Machine.Memory.Main;
            var address = new GuestAddress(window.Base + offset);
            return size switch
            {
                1 => main.ReadByte(address),
                2 => main.ReadUInt16(address),
                4 => main.ReadUInt32(address),
                _ => main.ReadUInt64(address),
            };
        }
        catch (Exception e)
        {
            window.Machine.Stop(e);
            return 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnMmioWrite(nint engine, ulong offset, uint size, ulong value, nint user)
    {
        var window = (MmioWindow)GCHandle.FromIntPtr(user).Target!;
        try
        {
            var main = window.Machine.Memory.Main;
            var address = new GuestAddress(window.Base + offset);
            switch (size)
            {
                case 1: main.WriteByte(address, (byte)value); break;
                case 2: main.WriteUInt16(address, (ushort)value); break;
                case 4: main.WriteUInt32(address, (uint)value); break;
                default: main.WriteUInt64(address, value); break;
            }
        }
        catch (Exception e)
        {
            window.Machine.Stop(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnInterrupt(nint engine, uint number, nint user)
    {
        var machine = (CortexMMachine)GCHandle.FromIntPtr(user).Target!;
        try
        {
            machine.Interrupt(number);
        }
        catch (Exception e)
        {
            machine.Stop(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnBlock(nint engine, ulong address, uint size, nint user)
    {
        var machine = (CortexMMachine)GCHandle.FromIntPtr(user).Target!;
        try
        {
            // Thumb instructions are 2 or 4 bytes: size / 2 overestimates at most twice; SysTick needs no more.
            machine._exceptions.Advance(size / 2);
            if (machine._exceptions.HasPending && address < 0xFFFF_FFF0)
            {
                machine.TakePendingException(address);
            }
        }
        catch (Exception e)
        {
            machine.Stop(e);
        }
    }

    // Exception entry as the ARMv7-M ARM (B1.5.6) describes it, for thread-mode code using MSP: push
    // R0–R3, R12, LR, the return address and xPSR on an 8-byte aligned stack, LR = EXC_RETURN, IPSR = n.
    private void TakePendingException(ulong returnAddress)
    {
        if (Register(Unicorn.ArmRegIpsr) != 0 || (Register(Unicorn.ArmRegPrimask) & 1) != 0)
        {
            return;   // one level: no nesting or priorities yet; masked by PRIMASK
        }
        int number = _exceptions.TakeNext();
        var main = Memory.Main;
        ulong sp = Register(Unicorn.ArmRegSp);
        ulong xpsr = Register(Unicorn.ArmRegXpsr);
        bool realign = (sp & 4) != 0;
        ulong frame = (sp - 32) & ~7UL;
        ulong[] values =
        [
            Register(Unicorn.ArmRegR0), Register(Unicorn.ArmRegR1), Register(Unicorn.ArmRegR2), Register(Unicorn.ArmRegR3),
            Register(Unicorn.ArmRegR12), Register(Unicorn.ArmRegLr), returnAddress & ~1UL, (xpsr & ~0x3FFUL) | (realign ? 1UL << 9 : 0) | (1UL << 24),
        ];
        for (int i = 0; i < values.Length; i++)
        {
            main.WriteUInt32(new GuestAddress(frame + 4 * (ulong)i), (uint)values[i]);
        }
        ulong handler = main.ReadUInt32(new GuestAddress(_exceptions.VectorTable + 4 * (ulong)number));
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegSp, frame), "uc_reg_write(SP)");
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegLr, 0xFFFF_FFF9UL), "uc_reg_write(LR)");
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegIpsr, (ulong)number), "uc_reg_write(IPSR)");
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegPc, handler | 1), "uc_reg_write(PC)");
    }

    private void ReturnFromException()
    {
        var main = Memory.Main;
        ulong frame = Register(Unicorn.ArmRegSp);
        var v = new ulong[8];
        for (int i = 0; i < 8; i++)
        {
            v[i] = main.ReadUInt32(new GuestAddress(frame + 4 * (ulong)i));
        }
        int[] registers = [Unicorn.ArmRegR0, Unicorn.ArmRegR1, Unicorn.ArmRegR2, Unicorn.ArmRegR3, Unicorn.ArmRegR12, Unicorn.ArmRegLr];
        for (int i = 0; i < registers.Length; i++)
        {
            Check(Unicorn.RegWrite(Engine, registers[i], v[i]), "uc_reg_write");
        }
        ulong sp = frame + 32 + (((v[7] >> 9) & 1) != 0 ? 4UL : 0);
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegSp, sp), "uc_reg_write(SP)");
        // The interrupted code's condition flags (and Thumb state) come back from the stacked xPSR.
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegXpsr, v[7] & 0xFFFF_FC00), "uc_reg_write(xPSR)");
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegIpsr, 0), "uc_reg_write(IPSR)");
        Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegPc, v[6] | 1), "uc_reg_write(PC)");
        // Take anything that became pending while the handler ran.
        if (_exceptions.HasPending)
        {
            TakePendingException(v[6]);
        }
    }

    private ulong Register(int id)
    {
        Unicorn.RegRead(Engine, id, out ulong value);
        return value & 0xFFFF_FFFF;
    }

    [UnmanagedCallersOnly]
    private static byte OnInvalidMemory(nint engine, int type, ulong address, int size, long value, nint user)
    {
        var machine = (CortexMMachine)GCHandle.FromIntPtr(user).Target!;
        if (machine._fault is not null)
        {
            return 0;
        }
        var (access, what) = type switch
        {
            Unicorn.MemReadUnmapped => (AccessKind.Read, "read of unmapped memory"),
            Unicorn.MemWriteUnmapped => (AccessKind.Write, "write to unmapped memory"),
            Unicorn.MemFetchUnmapped => (AccessKind.Execute, "instruction fetch from unmapped memory"),
            Unicorn.MemWriteProt => (AccessKind.Write, "write to read-only memory"),
            Unicorn.MemReadProt => (AccessKind.Read, "read of unreadable memory"),
            _ => (AccessKind.Execute, "instruction fetch from non-executable memory"),
        };
        ulong pc = machine.ReadPc();
        string region = machine.Memory.Main.FindRegion(new GuestAddress(address)) is { } r ? $" (region '{r.Name}', {PermissionsText.ToRwx(r.Permissions)})" : "";
        machine._fault = new EmulationFault($"Guest fault at PC 0x{pc:X8}: {what} at 0x{address:X8}, {size} bytes{region}.", pc, address, access);
        return 0; // stop
    }

    // Semihosting arrives as a BKPT 0xAB exception; anything else has no handler yet.
    private void Interrupt(uint number)
    {
        ulong pc = ReadPc();
        if (pc >= 0xFFFF_FFF0 && Register(Unicorn.ArmRegIpsr) != 0)
        {
            ReturnFromException();   // Unicorn does not implement EXC_RETURN: the branch faults at 0xFFFFFFFx
            return;
        }
        if (number == 2)            // SVC: PC is already past the instruction
        {
            _exceptions.Pend(CortexMExceptions.SvCall);
            TakePendingException(pc);
            return;
        }
        ushort at = ReadHalf(pc);
        ushort before = pc >= 2 ? ReadHalf(pc - 2) : (ushort)0;
        if (at == 0xBEAB || before == 0xBEAB)
        {
            Semihosting();
            if (at == 0xBEAB && _exitCode is null)
            {
                ulong next = (pc + 2) | 1;
                Check(Unicorn.RegWrite(Engine, Unicorn.ArmRegPc, next), "uc_reg_write(PC)");
            }
            return;
        }
        _fault = new EmulationFault($"Run stopped at PC 0x{pc:X8}: CPU exception {number} has no handler here (NVIC and SysTick are not modelled yet).", pc, null, null);
        Halt();
    }

    private void Semihosting()
    {
        ulong op = Register(Unicorn.ArmRegR0);
        ulong arg = Register(Unicorn.ArmRegR1);
        var main = Memory.Main;
        ulong result = 0;
        switch ((int)op)
        {
            case SysWriteC:
                _output.Write((char)main.ReadByte(new GuestAddress(arg)));
                break;
            case SysWrite0:
                for (ulong a = arg; ; a++)
                {
                    byte b = main.ReadByte(new GuestAddress(a));
                    if (b == 0)
                    {
                        break;
                    }
                    _output.Write((char)b);
                }
                break;
            case SysWrite:
            {
                uint buffer = main.ReadUInt32(new GuestAddress(arg + 4));
                uint length = main.ReadUInt32(new GuestAddress(arg + 8));
                var bytes = new byte[length];
                main.Read(new GuestAddress(buffer), bytes);
                _output.Write(System.Text.Encoding.Latin1.GetString(bytes));
                break;
            }
            case SysExit:
                // On 32-bit ARM the argument is the reason itself; only ApplicationExit means success.
                _exitCode = (uint)arg == AdpStoppedApplicationExit ? 0 : 1;
                Halt();
                return;
            case SysExitExtended:
                _exitCode = main.ReadUInt32(new GuestAddress(arg)) == AdpStoppedApplicationExit ? (int)main.ReadUInt32(new GuestAddress(arg + 4)) : 1;
                Halt();
                return;
            default:
                throw new NotSupportedException($"Semihosting operation 0x{op:X} is not supported (SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT and SYS_EXIT_EXTENDED are).");
        }
        Unicorn.RegWrite(Engine, Unicorn.ArmRegR0, result);
    }

    private void Stop(Exception e)
    {
        _pending ??= e;
        Halt();
    }

    private void Halt()
    {
        Unicorn.RegWrite(Engine, Unicorn.ArmRegPc, _haltAddress | 1);
        Unicorn.EmuStop(Engine);
    }

    private ulong ReadPc() => Register(Unicorn.ArmRegPc);

    private ushort ReadHalf(ulong address)
    {
        ushort value = 0;
        return Unicorn.MemRead(Engine, address & ~1UL, &value, 2) == 0 ? value : (ushort)0;
    }

    private static uint ProtOf(Permissions permissions) =>
        (permissions.HasFlag(Permissions.Read) ? Unicorn.ProtRead : 0) | (permissions.HasFlag(Permissions.Write) ? Unicorn.ProtWrite : 0)
        | (permissions.HasFlag(Permissions.Execute) ? Unicorn.ProtExec : 0);

    private static ulong AlignUp(ulong value) => (value + Granule - 1) & ~(Granule - 1);

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"{what} failed: {Unicorn.Describe(error)}");
        }
    }
}
