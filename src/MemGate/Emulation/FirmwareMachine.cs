using System.Diagnostics;
using System.Runtime.InteropServices;
using MemGate.Devices;
using MemGate.Engine;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Mmio;
using MemGate.Native;
using MemGate.Peripherals;
using MemGate.Snapshots;

namespace MemGate.Emulation;

/// <summary>
/// Runs firmware on a CPU engine (<see cref="ICpuEngine"/>; Unicorn for every CPU today) directly on a
/// device's MemGate memory, whatever the CPU: RAM and flash are mapped on MemGate's own host pages (no
/// copies; permissions carried over); peripheral regions and pages that regions share go through the
/// engine's MMIO callbacks to the guest-memory API, so register models, policies and traces apply. This
/// class is the machine's policy (run loop, limits, exits and faults, time, snapshots); subclasses add
/// what a CPU family needs: reset, exceptions and interrupts, its console and exit devices.
/// </summary>
/// <remarks>
/// An exception thrown in an engine event never crosses into native code: it is kept, the engine is
/// stopped, and it is rethrown as an <see cref="EmulationFault"/> when <see cref="Run"/> returns.
/// Instructions are counted by the engine per translated block as it is entered, reporting to the
/// machine only when a block is new or the machine asked to look again (a timer due, an interrupt that
/// may be taken). Timers advance lazily by
/// the instructions counted, before any peripheral access and at those call-backs. When an instruction raises an
/// exception, the count is corrected to the instructions before it plus the trapping one. Limits (time,
/// instructions, a stop request) are also checked at every exception, so a storm of traps that never
/// completes a block still stops.
/// </remarks>
public abstract unsafe partial class FirmwareMachine : IDisposable
{
    // An engine's stop request from inside an event does not always end the run (Unicorn 2.0.1's
    // uc_emu_stop from a hook did not); sending the PC to the `until` address of the run does, provided
    // code is mapped there (a fetch fault would come first). A page no region uses gets "branch to self"
    // instructions for that.
    private ulong _haltAddress;
    private ulong? _haltedFrom;   // where the PC was when the run was sent to the halt page
    private nint _haltPage;

    private readonly ICpuEngine _engine;
    private Exception? _callbackError;
    private MmioInput? _mmioInput;   // rewound at each run from reset
    private FirmwareMachineOptions _options = new();
    private IReadOnlyList<SnapshotBaseline> _baselines = [];   // memory mapped from a snapshot file or shared flash
    private bool _disposed;
    private ulong _layoutVersion;   // the memory's regions as the engine maps them (see MapMemory)
    private ulong _instructionsBefore;   // executed from reset before this machine's state was started from a snapshot file

    /// <summary>The run's MMIO input, if one was given (interrupt triggers in fuzzed mode take bytes from it too).</summary>
    private protected MmioInput? MmioInput => _mmioInput;
    private readonly Dictionary<ulong, string> _stopPoints = [];
    private readonly Dictionary<ulong, ulong?> _returns = [];
    private string? _reached;   // the stop point this run ended at
    private ulong? _passStop;   // a stop point Continue starts at, not to stop at again before it runs
    private Dictionary<ulong, uint>? _coverage;   // block address -> its size in bytes
    private ulong? _newBlock;   // the block just entered, when it was new to the coverage
    private ulong _callbackPc;
    private EmulationFault? _fault;
    private int? _exitCode;
    private string? _poweredOff;   // why the CPU is off (PowerOff), ending the run as idle
    private ulong _timeAt;   // the instruction count up to which the machine's timers have advanced
    private volatile bool _stopRequested;

    // The limits of the current run, checked where the engine hands exceptions to the machine.
    private ulong _maxInstructions;
    private const int MaxRecountSteps = 4;   // more stops without progress than an instruction counted twice explains: something else stops the engine
    // The engine runs without its own instruction count (a call per instruction, slow) up to the block that would
    // cross an instruction limit; it is stopped before that block and runs only the instructions left with a count.
    // Unicorn's count misses a Thumb instruction whose IT condition fails (its hook sits behind the skip), so the less
    // of the run it covers, the closer the stop: only a condition-failed instruction of that block can make it overshoot.
    private bool _counted;        // the engine's run has an instruction count
    private bool _switchToCount;  // the engine was stopped to run the rest up to the limit with a count
    private bool _stoppedBeforeBlock;   // the engine was stopped before a block it had counted, for a stop request
    private (RunOutcome? Outcome, string What)? _lateStop;   // a stop point or breakpoint met where the engine cannot stop: at the next block
    private bool _halting;   // Halt was called in this run: a block entered after it means the engine reverted the stop
    private ulong? _exitAt;   // the engine's next run ends before this instruction (ApproachesUnstoppable)
    private long _deadline;   // Stopwatch timestamp; 0: none
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(40);   // beyond a Timer's range: no timer (no one waits that long)

    private bool DeadlinePassed => _deadline != 0 && Stopwatch.GetTimestamp() >= _deadline;
    private ulong? _resumePc;   // where Continue goes on after a run halted at an exception by a limit

    // Where Continue goes on: possibly inside the machine's own code (see MachineCodeLeadsTo).
    private ulong ResumePoint => _resumePc ?? ReadPc();
    private ulong? _haltedState;   // ResumeAddress(0) where this run halted: Cortex-M's Thumb bit (1), or 0 after a BX to an even address
    private ulong? _rawStart;   // where a raw binary (no entry point of its own) was loaded

    // Fuzzware's consumption timeout: the engine's block count when the MMIO input last gave bytes.
    private ulong _inputBlocksFrom;
    private int _inputConsumed;
    private bool _inputTimedOut;

    // Fuzzware's per-run limits: the engine's block count at the run's start, the exceptions taken, which limit ended the run.
    private ulong _runBlocksFrom;
    private ulong _interruptsTaken;
    private bool _blockLimitReached;
    private bool _interruptLimitReached;


    // Benchmarks only: RAM and flash in engine-owned memory filled from MemGate at each run — "raw
    // Unicorn" as the baseline for MemGate's zero-copy mapping.
    private readonly bool _engineOwned;
    private readonly List<(ulong Address, ulong Size)> _copied = [];

    /// <summary>Builds the machine over <paramref name="engine"/>, which it owns from now on (disposed here if the construction fails).</summary>
    private protected FirmwareMachine(ICpuEngine engine, DeviceMemory memory, PeripheralSet peripherals, TextWriter output, TextWriter? errorOutput, bool engineOwned)
    {
        Memory = memory;
        Peripherals = peripherals;
        peripherals.Context.Exit = Exit;
        ErrorOutput = errorOutput ?? output;
        _engineOwned = engineOwned;
        _engine = engine;
        try
        {
            Granule = engine.PageSize;
            MapMemory();
            MapHaltPage();
            engine.Attach(new EngineEvents(this));
        }
        catch
        {
            // The engine's handles would keep this half-built machine alive for ever; the caller disposes the memory.
            ReleaseEngine();
            throw;
        }
    }

    /// <summary>The device's memory the firmware runs in.</summary>
    public DeviceMemory Memory { get; }

    /// <summary>The device's peripheral models (its UARTs, timers, interrupt controller, GPIO ports, …).</summary>
    public PeripheralSet Peripherals { get; }

    /// <summary>The device's CPU ("cortex-m3", "generic-rv32", "cortex-a53", …).</summary>
    public string Cpu => Memory.Device.Cpu;

    /// <summary>Where the loaded image starts (its entry point), if one was loaded.</summary>
    public ulong? EntryPoint { get; private set; }

    /// <summary>Where the firmware's standard error (semihosting handle 2) goes.</summary>
    protected TextWriter ErrorOutput { get; }

    /// <summary>The engine's mapping granule for this CPU (Unicorn: 1 KiB on 32-bit ARM, 4 KiB elsewhere).</summary>
    protected ulong Granule { get; }

    /// <summary>The CPU's live registers, for register windows (a device's <c>registers</c> regions show them too).</summary>
    public ICpuRegisterFile Registers => Memory.CpuRegisters;

    /// <summary>
    /// Ends a run with <see cref="RunOutcome.InputTimeout"/> when this many basic blocks run one after another
    /// without the MMIO input giving a byte, as Fuzzware's <c>fuzz_consumption_timeout</c> (default 150,000
    /// there) ends a run stuck where no input helps, e.g. an error handler's endless loop. 0 (the default): no
    /// such limit; without an MMIO input it never applies.
    /// </summary>
    public ulong InputTimeout { get; set; }

    /// <summary>
    /// Ends a run with <see cref="RunOutcome.BlockLimit"/> once it has executed this many basic blocks (the firmware's
    /// blocks entered, as <see cref="InputTimeout"/> counts them; not the machine's own code, such as its exception-entry
    /// sequence, which Fuzzware does not have), as Fuzzware's <c>limits.translation_blocks</c> (default
    /// 3,000,000 there) ends a run: the next block does not start. 0: no limit. Set from the device's
    /// <c>[limits] blocks</c> when the machine is built.
    /// </summary>
    public ulong BlockLimit { get; set; }

    /// <summary>
    /// Ends a run with <see cref="RunOutcome.InterruptLimit"/> when it is about to take this many exceptions other
    /// than SysTick, as Fuzzware's <c>limits.interrupts</c> (default 3,000 there) does: its NVIC counts every
    /// exception entry but SysTick's and ends the run at the one reaching the limit, before the handler starts
    /// (so one fewer is taken). Interrupt triggers keep firing until then. 0: no limit. Cortex-M machines only;
    /// set from the device's <c>[limits] interrupts</c> when the machine is built.
    /// </summary>
    public ulong InterruptLimit { get; set; }

    /// <summary>
    /// When set, a guest fault (an access the memory map refuses, an undefined instruction) ends the run with an
    /// <see cref="EmulationFault"/> instead of going to the firmware's fault handler, as a Fuzzware run ends at
    /// the engine's error (a crash) where its NVIC delivers no fault. Default: the firmware takes its faults.
    /// </summary>
    public bool FaultsEndRun { get; set; }

    /// <summary>Instructions executed so far in the current or last run.</summary>
    public ulong Instructions => _engine.Instructions;

    /// <summary>
    /// Starts loading the CPU engine on another thread, so that a caller about to build a machine can read its
    /// device and firmware meanwhile (the engine's library takes about 10 ms to load). Optional.
    /// </summary>
    public static void PrepareEngine() => UnicornLibrary.LoadInBackground();

    /// <summary>
    /// Allocates <paramref name="device"/> with the peripheral models its CPU family needs and builds the
    /// machine: <see cref="CortexMMachine"/> (cortex-m3, cortex-m4), <see cref="RiscVMachine"/> (RV32/RV64
    /// virt), <see cref="Aarch64Machine"/> (cortex-a53 virt).
    /// </summary>
    /// <exception cref="NotSupportedException">No machine runs the device's CPU, or Unicorn is not installed.</exception>
    /// <param name="device">The device to build.</param>
    /// <param name="output">Where UART and semihosting output goes.</param>
    /// <param name="options">Base directory, MMIO trace, error output, memory backing.</param>
    public static FirmwareMachine Create(DeviceDescription device, TextWriter output, FirmwareMachineOptions? options = null)
    {
        CheckRunnable(device);
        string cpu = device.Cpu.ToLowerInvariant();
        return cpu is "cortex-m3" or "cortex-m4" ? CortexMMachine.Create(device, output, options)
            : cpu == "cortex-a53" ? Aarch64Machine.Create(device, output, options)
            : RiscVMachine.Create(device, output, options);
    }

    /// <summary>
    /// The peripheral models the machine for <paramref name="device"/> adds at their architectural place when its file declares
    /// none (a Cortex-M's SCS, RISC-V's CLINT, the AArch64 virt machine's GIC), as entries; empty for devices no machine runs.
    /// What checks without a build (memgate validate, show) need to see the addresses those models serve.
    /// </summary>
    public static IReadOnlyList<DevicePeripheral> ArchitecturalPeripherals(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string cpu = device.Cpu.ToLowerInvariant();
        string architecture = device.Architecture.ToLowerInvariant();
        string? name = cpu is "cortex-m3" or "cortex-m4" ? MemGate.Peripherals.Arm.ArmSystemControlSpace.Info.Model
            : cpu == "cortex-a53" ? MemGate.Peripherals.Arm.Gicv2.Info.Model
            : architecture.StartsWith("rv32", StringComparison.Ordinal) || architecture.StartsWith("rv64", StringComparison.Ordinal) ? MemGate.Peripherals.RiscV.RiscVClint.Info.Model
            : null;
        if (name is null || PeripheralRegistry.Default.Find(name) is not { Architectural: { } place } model
            || device.Peripherals.Any(p => p.Model is { } declared && PeripheralRegistry.Default.Find(declared) == model))
        {
            return [];
        }
        return [new DevicePeripheral(place.Name, place.Base, model.Size, device.Spaces[0].Name) { Model = model.Model }];
    }

    /// <summary>Throws unless a machine runs the device's CPU: Cortex-M3/M4, RV32/RV64, Cortex-A53.</summary>
    /// <exception cref="NotSupportedException">No machine runs it (AVR and Xtensa devices are memory maps only); the message names the machines there are, and where the device file names the CPU.</exception>
    public static void CheckRunnable(DeviceDescription device)
    {
        if (WhyNotRunnable(device) is { } why)
        {
            throw new NotSupportedException(device.LocationOf("device.cpu") is { } at ? $"{at}: {why}" : why);
        }
    }

    /// <summary>
    /// For checks of a device file: a warning at its <c>cpu</c> when it names an Arm or RISC-V core no machine runs (a typo,
    /// cortex-m0plus), which a run refuses; null otherwise. AVR and Xtensa devices, and files naming no CPU, are plainly memory maps.
    /// </summary>
    public static DeviceDiagnostic? UnrunnableCoreWarning(DeviceDescription device) =>
        Firmware.CpuProfile.Of(device) is not null && WhyNotRunnable(device) is { } why
            ? new DeviceDiagnostic(DiagnosticSeverity.Warning, "device.cpu", $"memgate run and fuzz refuse this device: {why}")
            {
                Location = device.LocationOf("device.cpu") ?? device.LocationOf("device.name"),
            }
            : null;

    /// <summary>
    /// Warnings for the executable regions of a device a machine runs whose start or end is not on the CPU engine's page (1 KiB
    /// on Arm, 4 KiB on RISC-V and AArch64): the engine runs code only from whole pages, so code in such an edge page faults.
    /// </summary>
    public static IEnumerable<DeviceDiagnostic> PartialCodePageWarnings(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (WhyNotRunnable(device) is not null || device.Spaces.Count == 0)
        {
            yield break;
        }
        ulong page = device.Cpu.StartsWith("cortex-m", StringComparison.OrdinalIgnoreCase) ? 1024UL : 4096UL;   // Unicorn's target page
        for (int i = 0; i < device.Regions.Count; i++)
        {
            var region = device.Regions[i];
            if (region.Space != device.Spaces[0].Name || (region.Permissions & Permissions.Execute) == 0
                || region.Type is DeviceRegionType.Mmio or DeviceRegionType.Registers)
            {
                continue;
            }
            ulong end = region.Start + region.Size;
            if (region.Start % page != 0 || end % page != 0)
            {
                string field = region.Start % page != 0 ? $"regions[{i}].guest_address" : $"regions[{i}].size";
                yield return new DeviceDiagnostic(DiagnosticSeverity.Warning, field,
                    $"executable region '{region.Name}' [0x{region.Start:X}, 0x{end:X}) does not start and end on the CPU engine's {page / 1024} KiB pages; " +
                    "the engine runs code only from whole pages, so code in a page it fills in part faults")
                {
                    Location = device.LocationOf(field) ?? device.LocationOf($"regions[{i}]"),
                };
            }
        }
    }

    /// <summary>
    /// Warnings for what a run of the device would find wrong before its first instruction, or never reach: regions past
    /// the 4 GiB a 32-bit CPU (Cortex-M, RV32) addresses (the device's address space may be wider), and a Cortex-M
    /// device whose reset vector table (at 0, or [boot] vector_table) lies in no region while reset reads it (it does unless
    /// [boot] gives both the initial SP and the entry point).
    /// </summary>
    public static IEnumerable<DeviceDiagnostic> RunWarnings(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        bool cortexM = device.Cpu.StartsWith("cortex-m", StringComparison.OrdinalIgnoreCase);
        if (!(cortexM || device.Architecture.StartsWith("rv32", StringComparison.OrdinalIgnoreCase)) || WhyNotRunnable(device) is not null || device.Spaces.Count == 0)
        {
            yield break;
        }
        ulong table = device.Boot.VectorTable ?? 0;
        bool readsTable = device.Boot.InitialStackPointer is null || device.Boot.EntryPoint is null;   // with both given, reset takes neither from it
        if (cortexM && readsTable && !device.Regions.Any(r => r.Space == device.Spaces[0].Name && table - r.Start < r.Size && r.Type is not (DeviceRegionType.Mmio or DeviceRegionType.Registers)))
        {
            string field = device.Boot.VectorTable is null ? "boot" : "boot.vector_table";
            yield return new DeviceDiagnostic(DiagnosticSeverity.Warning, field,
                $"the reset vector table at 0x{table:X8} lies in no memory region: a run cannot start (give [boot] vector_table, where the image's vectors are)")
            {
                Location = device.LocationOf(field) ?? device.LocationOf("device.name"),
            };
        }
        for (int i = 0; i < device.Regions.Count; i++)
        {
            var region = device.Regions[i];
            if (region.Space == device.Spaces[0].Name && region.Start + region.Size > 1UL << 32)
            {
                yield return new DeviceDiagnostic(DiagnosticSeverity.Warning, $"regions[{i}].guest_address",
                    $"region '{region.Name}' [0x{region.Start:X}, 0x{region.Start + region.Size:X}) lies {(region.Start >= 1UL << 32 ? "" : "in part ")}past the 4 GiB " +
                    $"a 32-bit CPU ({device.Cpu}) addresses: the firmware cannot reach it")
                {
                    Location = device.LocationOf($"regions[{i}].guest_address") ?? device.LocationOf($"regions[{i}]"),
                };
            }
        }
    }

    /// <summary>Why no machine runs the device's CPU (naming the machines there are), or null when one does.</summary>
    public static string? WhyNotRunnable(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string cpu = device.Cpu.ToLowerInvariant();
        string architecture = device.Architecture.ToLowerInvariant();
        if (cpu is "cortex-m3" or "cortex-m4" or "cortex-a53" || architecture.StartsWith("rv32", StringComparison.Ordinal) || architecture.StartsWith("rv64", StringComparison.Ordinal))
        {
            return null;
        }
        string cpuText = device.Cpu.Length == 0 ? "no CPU" : $"CPU '{device.Cpu}'";
        return $"Device '{device.Name}' has {cpuText}{(device.Architecture.Length > 0 ? $" (architecture {device.Architecture})" : "")}; " +
            "firmware runs on cortex-m3 and cortex-m4 (Cortex-M machine), rv32*/rv64* (RISC-V virt machine) and cortex-a53 (AArch64 virt machine).";
    }

    /// <summary>
    /// Creates the CPU engine for the device (Unicorn, unless the options name another factory), builds the
    /// device's peripheral models (with <paramref name="architectural"/> ones its architecture defines, where
    /// the file has none), allocates its memory with them attached, and the machine over all three, which it
    /// then owns (everything is released if a step fails); lets the trace read the machine's PC.
    /// </summary>
    /// <exception cref="NotSupportedException">Unicorn is not installed.</exception>
    /// <exception cref="DeviceDescriptionException">A peripheral entry cannot be built (every problem located).</exception>
    private protected static T Build<T>(DeviceDescription device, TextWriter output, FirmwareMachineOptions options, EngineRegisterFile registers, string architectural,
        Func<ICpuEngine, DeviceMemory, PeripheralSet, T> create) where T : FirmwareMachine
    {
        T? built = null;   // the PC for MMIO models comes from the machine, which exists only after the memory
        var engine = (options.EngineFactory ?? UnicornEngine.ForDevice)(device);
        DeviceMemory memory;
        PeripheralSet peripherals;
        try
        {
            peripherals = PeripheralRegistry.Default.Build(device, new PeripheralContext(device, output) { SerialOutputs = options.SerialOutputs }, architectural);
            memory = DeviceMemory.Allocate(device, new DeviceMemoryOptions
            {
                BaseDirectory = options.BaseDirectory, Models = peripherals.Blocks, Trace = options.Trace, Backing = options.Backing, Registers = registers,
                MmioInput = options.MmioInput,
                ProgramCounter = () => built?.ReadPc() ?? 0,
            });
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        try
        {
            var machine = create(engine, memory, peripherals);
            built = machine;
            machine.ApplyHooks(device);
            machine.BlockLimit = device.Limits.Blocks ?? 0;
            machine.InterruptLimit = device.Limits.Interrupts ?? 0;
            machine.InputTimeout = device.Limits.InputTimeout ?? 0;
            machine._mmioInput = options.MmioInput;
            machine._options = options;
            ((EngineRegisterFile)memory.CpuRegisters).Bind(machine);
            if (options.Trace is { } trace)
            {
                trace.ProgramCounter = () => machine.ReadPc();
            }
            return machine;
        }
        catch
        {
            engine.Dispose();   // again, if the base constructor did: a subclass's constructor may fail after it
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Writes an image into the device (loader path), remembers its entry point and drops the engine's translations of those addresses.</summary>
    /// <exception cref="Firmware.FirmwareCompatibilityException">The image is for another CPU (machine, class, byte order or ABI).</exception>
    public void Load(Firmware.FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ThrowIfDisposed();
        image.CheckRunsOn(Memory.Device);
        image.LoadInto(Memory);
        EntryPoint = image.EntryPoint;
        _rawStart = image.Format == Firmware.FirmwareFormat.Raw && image.Segments.Count > 0 ? image.Segments[0].Address : null;
        Loaded(image.File, [.. image.Segments.Select(s => (s.Address, (ReadOnlyMemory<byte>)s.Data))]);
        foreach (var segment in image.Segments)
        {
            InvalidateCode(segment.Address, (ulong)segment.Data.LongLength);
        }
    }

    /// <summary>
    /// Drops the engine's translated code for [address, address + length): call it after writing code from
    /// the host (the engine reads MemGate's pages directly, but keeps translations of code it ran).
    /// </summary>
    public void InvalidateCode(ulong address, ulong length)
    {
        ThrowIfDisposed();
        _engine.InvalidateCode(address, length);
    }

    /// <summary>
    /// Resets the CPU and runs until the firmware exits, faults, or a limit is reached (0 = none). Cancelling
    /// <paramref name="cancel"/> stops the run as <see cref="RequestStop"/> does; a token cancelled before the run
    /// begins ends it before its first instruction (a stop request made then is forgotten).
    /// </summary>
    /// <exception cref="EmulationFault">The firmware faulted; the exception carries PC, address and access.</exception>
    public RunResult Run(ulong maxInstructions = 0, TimeSpan? timeout = null, CancellationToken cancel = default) =>
        RunFrom(PrepareReset(), maxInstructions, timeout, cancel);

    // A run from reset: the MMIO input from its start, copies refreshed, the CPU reset; returns where to start.
    private ulong PrepareReset()
    {
        ThrowIfDisposed();
        CheckLayout();
        _mmioInput?.Rewind();
        _passStop = null;
        _instructionsBefore = 0;
        _timeAt = _engine.Instructions;   // nothing ahead: a run going on from a reset (a debugger's) starts the timers afresh
        var main = Memory.Main;
        foreach (var (address, size) in _copied)
        {
            _engine.WriteMemory(address, new ReadOnlySpan<byte>((void*)main.Translate(new GuestAddress(address), size), checked((int)size)));
        }
        return Reset();
    }

    /// <summary>
    /// Goes on from where the last run stopped (an instruction limit, a timeout, a stop request, or a
    /// restored <see cref="MachineSnapshot"/>) instead of from reset.
    /// </summary>
    /// <exception cref="InvalidOperationException">The firmware exited or faulted: there is nothing to go on with.</exception>
    public RunResult Continue(ulong maxInstructions = 0, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        ThrowIfDisposed();
        CheckLayout();
        ulong pc = ResumePoint;
        if (pc >= _haltAddress && pc < _haltAddress + Granule)
        {
            throw new InvalidOperationException("The last run ended (exit or fault): run again from reset, or restore a snapshot first.");
        }
        _passStop = _reached is not null || _debugStop is not null ? pc : null;   // going on from a stop point runs its instruction
        _continuing = true;
        return RunFrom(ResumeAddress(pc), maxInstructions, timeout, cancel);
    }

    /// <summary>
    /// Ends runs with outcome <see cref="RunOutcome.Reached"/> (reason "reached NAME") when execution gets to
    /// <paramref name="address"/>, before the instruction there runs; <see cref="Continue"/> goes on from it.
    /// </summary>
    public void StopAt(ulong address, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        address = CodeAddress(address) & ~1UL;
        if (_stopPoints.TryAdd(address, name))
        {
            WatchBlocksHolding(address, true);
        }
        _stopPoints[address] = name;
        HookInstruction(address);
        InvalidateCode(address, 1);   // a block translated before the hook would run past it
    }

    /// <summary>
    /// Makes the function at <paramref name="address"/> return at once whenever it is called (its instruction there
    /// does not run), with <paramref name="value"/> as its result when given: Fuzzware's skipped functions.
    /// </summary>
    public void ReturnAt(ulong address, ulong? value = null)
    {
        address = CodeAddress(address) & ~1UL;
        _returns[address] = value;
        HookInstruction(address);
        InvalidateCode(address, 1);
    }

    // The device file's [[hooks]]: at an address or one of its symbols.
    private void ApplyHooks(DeviceDescription device)
    {
        foreach (var hook in device.Hooks)
        {
            ulong address = device.AddressOf(hook.At)!.Value;   // the description's validation refused hooks that do not resolve
            if (hook.Action == DeviceHookAction.Stop)
            {
                StopAt(address, hook.At);
            }
            else
            {
                ReturnAt(address, hook.ReturnValue);
            }
        }
    }

    /// <summary>Returns from the current function as its calling convention does (return address register, result register).</summary>
    private protected abstract void ReturnFromFunction(ulong? value);

    /// <summary>Starts recording the address of every basic block executed from now on (see <see cref="CoveredBlocks"/>).</summary>
    public void CollectCoverage() => _coverage ??= [];

    /// <summary>The basic blocks executed since <see cref="CollectCoverage"/>, by start address (empty when not collecting).</summary>
    public IReadOnlyCollection<ulong> CoveredBlocks => (IReadOnlyCollection<ulong>?)_coverage?.Keys ?? [];

    /// <summary>The basic blocks executed since <see cref="CollectCoverage"/> with their sizes in bytes (as the engine translated them).</summary>
    public IReadOnlyDictionary<ulong, uint> CoveredBlockSizes => (IReadOnlyDictionary<ulong, uint>?)_coverage ?? new Dictionary<ulong, uint>();

    /// <summary>
    /// Maps the machine's flash and ROM from <paramref name="shared"/>'s copies (made from this machine's on first
    /// use), so that machines running the same firmware keep it in RAM once; see <see cref="SharedFlash"/>.
    /// Call after loading the firmware and before <see cref="TakeSnapshot"/>. Returns how many areas were mapped.
    /// </summary>
    public int ShareFlash(SharedFlash shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ThrowIfDisposed();
        var added = shared.Share(Memory.Main, _baselines);
        _baselines = [.. _baselines, .. added];
        return added.Count;
    }

    /// <summary>Saves memory, every CPU register and the machine's models, to come back to with <see cref="Restore"/>.</summary>
    /// <exception cref="NotSupportedException">The kernel cannot track memory writes (see <see cref="GuestSnapshot.Take(GuestMemory)"/>).</exception>
    /// <exception cref="InvalidOperationException">Another snapshot of this machine's memory is still alive (see <see cref="GuestSnapshot.Take(GuestMemory)"/>).</exception>
    public MachineSnapshot TakeSnapshot()
    {
        ThrowIfDisposed();
        var witness = WitnessesWrites() ? new WriteWitness() : null;
        var memory = GuestSnapshot.Take(Memory.Main, _baselines, witness);   // throws while another snapshot lives: that one's witness stays
        try
        {
            if (witness is not null)
            {
                _engine.ReportWrites(witness);
                _engineWitness = witness;
            }
            return new MachineSnapshot(this, memory, _engine.SaveContext(), SaveModelState(), _resumePc, witness);
        }
        catch
        {
            memory.Dispose();
            StopWitness(witness);
            throw;
        }
    }

    /// <summary>For tests: report writes to the snapshot (true) or walk the page table (false) whatever the memory's size.</summary>
    internal bool? WitnessWrites { get; set; }

    // Where the kernel's walk of the page table costs more than the engine's reports: about 30 ns per MiB on huge pages
    // (2 GiB: 57-67 µs), against a TLB flush and a second TLB fill for each page a run writes (on 20 KiB the two cost
    // the same). Writes another process makes to shared memory are seen only by the walk.
    private bool WitnessesWrites()
    {
        var main = Memory.Main;
        var regions = main.Regions.Where(r => r.HasHostMemory).ToList();
        if (_engineOwned || !_engine.CanReportWrites || !regions.All(r => main.BackingOf(r) is AnonymousBacking))
        {
            return false;   // (another provider's memory may be written by others, as shared memory is)
        }
        return WitnessWrites ?? regions.Aggregate(0UL, (sum, r) => sum + r.Size) >= WitnessFrom;
    }

    private const ulong WitnessFrom = 64UL << 20;

    // The engine stops reporting to `witness`, if it still does (a snapshot disposed twice, or after a newer one was taken).
    internal void StopWitness(WriteWitness? witness)
    {
        if (witness is not null && ReferenceEquals(_engineWitness, witness) && !_disposed)
        {
            _engine.ReportWrites(null);
            _engineWitness = null;
        }
    }

    private WriteWitness? _engineWitness;   // what the engine reports its stores to

    /// <summary>Whether the engine reports its stores to a live snapshot's write witness.</summary>
    private protected bool EngineReportsWrites => _engineWitness is not null;

    /// <summary>Puts memory (only the pages written since), the CPU and the models back as <paramref name="snapshot"/> saved them; <see cref="Continue"/> goes on from there.</summary>
    public SnapshotRestore Restore(MachineSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfDisposed();
        if (!ReferenceEquals(snapshot.Machine, this))
        {
            throw new ArgumentException("The snapshot was taken of another machine.", nameof(snapshot));
        }
        var restore = snapshot.Memory.Restore();
        _engine.RestoreContext(snapshot.Cpu);
        _resumePc = snapshot.ResumePc;
        RestoreModelState(snapshot.Models);
        return restore;
    }

    private RunResult RunFrom(ulong start, ulong maxInstructions, TimeSpan? timeout, CancellationToken cancel = default)
    {
        _callbackError = null;
        _fault = null;
        _endState?.Cpu.Dispose();
        _endState = null;
        _inBlockCallback = false;
        _accessTrap?.Cpu.Dispose();
        _accessTrap = null;
        _exitCode = null;
        _poweredOff = null;
        _reached = null;
        _debugStop = null;
        _lateStop = null;
        _halting = false;
        _haltedState = null;
        _exitAt = null;
        _watchHit = null;
        DropWatchUndo();
        // Timers an exception left ahead of the count (the block it was taken before was counted, then not run) stay
        // ahead across a stop: going on must not advance them by those instructions twice.
        ulong ahead = _continuing ? TimeAhead : 0;
        _engine.Instructions = 0;
        _timeAt = ahead;
        _stopRequested = false;
        _resumePc = null;
        _maxInstructions = maxInstructions;
        (_switchToCount, _stoppedBeforeBlock) = (false, false);
        // Fuzzware's consumption timeout counts blocks since the input was last read, across a stop: going on keeps the count
        // (unless the timeout ended the last run), a run from reset or a restored snapshot's new input starts it.
        if (!(_continuing && InputWindowOpen))
        {
            RestartInputWindow();
        }
        _continuing = false;
        (_runBlocksFrom, _interruptsTaken, _blockLimitReached, _interruptLimitReached) = (Blocks, 0, false, false);
        var clock = Stopwatch.StartNew();
        _deadline = timeout is { } limit ? Stopwatch.GetTimestamp() + (long)Math.Min(limit.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 2) : 0;
        // Called at once for a token cancelled already. A request that comes before the engine starts is seen below, or
        // by the first block (which the engine then does not run), since starting the engine forgets an earlier stop.
        using var stopOnCancel = cancel.Register(RequestStop);
        // The timeout, too, stops the engine before a block (BlockEntered), not from outside (Unicorn's own timeout, a
        // thread per engine start, ends between blocks as a stop request used to). The timer counts whole milliseconds
        // and may fire early: it asks again every millisecond until the block it makes look finds the deadline passed.
        // A callback that comes late, after the run, only makes a block look at the (new) deadline.
        using var deadline = timeout is { } due && due >= TimeSpan.Zero && due < MaxTimerDelay
            ? new Timer(static engine => ((ICpuEngine)engine!).ReportNextBlock(), _engine, due, TimeSpan.FromMilliseconds(1))
            : null;
        CpuEngineException? error = null;
        string? idle = null;
        (ulong Pc, ulong Count)? limitStop = null;   // where the engine's count last ended the run early
        ulong extra = 0;
        while (true)
        {
            if (_stopRequested || DeadlinePassed)
            {
                _engine.WriteRegister(ProgramCounterRegister, start);   // where Continue goes on
                break;
            }
            ulong remaining = maxInstructions > 0 ? maxInstructions - Math.Min(Instructions, maxInstructions - 1) : 0;
            _counted = remaining > 0 && _switchToCount;
            _switchToCount = false;
            ulong? exit = _exitAt;
            _exitAt = null;
            if (exit is not null)
            {
                _engine.InvalidateCode(exit.Value - 1, 1);   // the block was translated without the exit (the engine drops it again after the run)
            }
            error = _engine.Run(start, exit ?? _haltAddress, null, _counted ? remaining + extra : 0);
            EngineReturned();
            bool trapped = error is not null && DeliverTrap(error);
            if (trapped)
            {
                error = null;
            }
            // Stopped by the engine itself (its count ran out, a WFI, a stop request), not by the machine ending the run.
            bool engineStopped = !trapped && error is null && !RunEnded && ReadPc() != _haltAddress;
            if (engineStopped)
            {
                // Before the instruction at the PC, but the block holding it was counted whole when it was entered.
                _engine.CountUpTo(ReadPc(), including: false);
                if ((_switchToCount || _stoppedBeforeBlock) && IsFirmwareCode(ReadPc()))
                {
                    _blocksTakenBack++;   // the engine counted the block it then stopped before; it is entered again
                }
            }
            _stoppedBeforeBlock = false;
            if (engineStopped && exit is { } reached && ReadPc() == reached)
            {
                StopAtExit(reached);
            }
            if (engineStopped && !_stopRequested && maxInstructions > 0 && Instructions >= maxInstructions
                && ReadPc() is var waiting && WaitsForInterrupt(waiting))
            {
                // The limit fell right after a WFI: time passes to the interrupt it waits for now, as without the
                // limit, so that continuing from here takes it at the same instruction.
                SyncTime();
                WakeUp(waiting, out _);
            }
            if (error is not null || RunEnded || _stopRequested
                || (timeout is not null && clock.Elapsed >= timeout.Value) || (maxInstructions > 0 && Instructions >= maxInstructions)
                || ((_reached is not null || _debugStop is not null) && _lateStop is null))
            {
                break;
            }
            if (trapped || (engineStopped && (_switchToCount || _exitAt is not null)))
            {
                start = ResumeAddress(ReadPc());
                continue;
            }
            // Unicorn also returns when the CPU waits for an interrupt (WFI): let time pass to the next
            // interrupt the machine can raise, and go on from there; or end, saying why.
            ulong pc = ReadPc();
            if (!WaitsForInterrupt(pc))
            {
                if (maxInstructions > 0 && engineStopped)
                {
                    // The engine's own count ended the run early: it can count an instruction more than once (a trap
                    // delivered inside the run, a 16-bit illegal instruction). Run the rest; when it stops again at
                    // the same point without running anything, let it run one more.
                    extra = (pc, Instructions) == limitStop ? extra + 1 : 0;
                    limitStop = (pc, Instructions);
                    if (extra <= MaxRecountSteps)
                    {
                        start = ResumeAddress(pc);
                        continue;
                    }
                }
                break;
            }
            SyncTime();
            if (!WakeUp(pc, out start) && !AwaitSerialInput(pc, out start))
            {
                idle = _stopRequested || (timeout is not null && clock.Elapsed >= timeout.Value) ? null
                    : $"idle: the CPU waits for an interrupt (WFI at 0x{WaitingInstruction(pc):X8}) that nothing will raise";
                break;
            }
            if (_interruptLimitReached)
            {
                break;   // the interrupt that woke the CPU reached the limit: it is not taken
            }
        }
        clock.Stop();
        if (_lateStop is not null)
        {
            (_lateStop, _reached, _debugStop) = (null, null, null);   // the run ended otherwise before its next block
        }
        if (_endState is { } state && RunEnded)
        {
            // The CPU as the instruction that ended the run found it, not as the rest of its IT block left it: registers, count and IT state.
            _engine.RestoreContext(state.Cpu);
            _engine.Instructions = state.Instructions;
            ResumeExecutionState(state.ItState);
            if (state.Halted)
            {
                _engine.WriteRegister(ProgramCounterRegister, CodeAddress(_haltAddress));   // ended, as outside an IT block (the dump shows where)
            }
        }
        SyncTime();   // the models show the time the run reached
        if (_callbackError is MmioInputExhaustedException exhausted)
        {
            return new RunResult(null, exhausted.Message, clock.Elapsed, Instructions, RunOutcome.InputExhausted) { StoppedAt = _callbackPc };
        }
        if (_callbackError is IOException hostError)
        {
            // The host's side failed (the console's standard output on a full disk, a UART's socket): not the firmware's fault.
            throw new IOException($"Run stopped at PC 0x{_callbackPc:X8}, after {Instructions:N0} instructions: the host's I/O failed: {hostError.Message}", hostError);
        }
        if (_callbackError is { } pending)
        {
            throw new EmulationFault($"Run stopped at PC 0x{_callbackPc:X8}: {pending.Message}", _callbackPc, (pending as GuestMemoryException)?.Address.Value,
                (pending as GuestMemoryException)?.Access, pending);
        }
        if (_fault is { } fault)
        {
            throw fault;
        }
        if (_blockLimitReached || _interruptLimitReached)
        {
            _engine.WriteRegister(ProgramCounterRegister, StopPoint());
            return _blockLimitReached
                ? new RunResult(null, $"block limit: {BlockLimit} basic blocks", clock.Elapsed, Instructions, RunOutcome.BlockLimit)
                : new RunResult(null, $"interrupt limit: {InterruptLimit} interrupts", clock.Elapsed, Instructions, RunOutcome.InterruptLimit);
        }
        if (_inputTimedOut)
        {
            _engine.WriteRegister(ProgramCounterRegister, StopPoint());
            return new RunResult(null, $"input timeout: {InputTimeout} blocks without reading input", clock.Elapsed, Instructions, RunOutcome.InputTimeout);
        }
        if (_debugStop == RunOutcome.Watchpoint)
        {
            UndoWatchedInstruction();
        }
        if (_debugStop is not null || _reached is not null)
        {
            _engine.WriteRegister(ProgramCounterRegister, StopPoint());   // show the stop point, not the halt page
            return _debugStop is { } stop
                ? new RunResult(null, stop == RunOutcome.Breakpoint ? "breakpoint" : "watchpoint", clock.Elapsed, Instructions, stop)
                : new RunResult(null, $"reached {_reached}", clock.Elapsed, Instructions, RunOutcome.Reached);
        }
        if (_exitCode is { } code)
        {
            return new RunResult(code, "exit", clock.Elapsed, Instructions, RunOutcome.Exit);
        }
        if (error is not null)
        {
            throw new EmulationFault($"Run stopped at PC 0x{ReadPc():X8}: {error.Message}", ReadPc(), null, null, error);
        }
        idle ??= _poweredOff;
        var (outcome, reason) = idle is not null ? (RunOutcome.Idle, idle)
            : _stopRequested ? (RunOutcome.Interrupted, "interrupted")
            : maxInstructions > 0 && Instructions >= maxInstructions ? (RunOutcome.InstructionLimit, "instruction limit")
            : timeout is not null && clock.Elapsed >= timeout.Value ? (RunOutcome.Timeout, "timeout")
            : (RunOutcome.Interrupted, "interrupted");   // the engine returned for no reason of ours: report it as a stop, never as success
        return new RunResult(null, reason, clock.Elapsed, Instructions, outcome);
    }

    // The PC a run that halted shows and goes on from: the stop point, in the state the CPU was in there (Cortex-M: a block
    // entered with EPSR.T clear stays so, and going on takes its INVSTATE UsageFault rather than running it as Thumb).
    private ulong StopPoint() => _haltedState is { } state ? CodeAddress(_resumePc!.Value) & ~1UL | state : CodeAddress(_resumePc!.Value);

    /// <summary>Asks a running <see cref="Run"/> to stop (from another thread, e.g. on Ctrl-C); it returns with outcome <see cref="RunOutcome.Interrupted"/>.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        // The next block looks at the flag and the engine stops before it, so the count stays exact: stopped from
        // outside (uc_emu_stop), Unicorn ends at a block boundary before the block hook runs, and where a loop jumps back
        // into the block just counted, the stop point cannot be told from the middle of that block. Blocks end, WFI
        // returns, and exceptions look at the flag too (StopAtLimit). The run may end and its owner dispose the machine
        // while this thread is still here: the block counter's memory lives as long as the engine object.
        _engine.ReportNextBlock();
    }

    /// <summary>Closes the engine and releases the memory; the machine cannot be used after (<see cref="ObjectDisposedException"/>).</summary>
    public void Dispose()
    {
        _disposed = true;
        ReleaseEngine();
        Memory.Dispose();
        GC.SuppressFinalize(this);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void CheckLayout()
    {
        if (Memory.Main.LayoutVersion != _layoutVersion)
        {
            // The engine would still use the old regions (a removed one's memory, none for an added one).
            throw new InvalidOperationException("Regions were added to or removed from the machine's memory after it was built; the CPU engine maps them " +
                "once, when the machine is built: describe them in the device and build a new machine.");
        }
    }

    private void ReleaseEngine()
    {
        _endState?.Cpu.Dispose();
        _accessTrap?.Cpu.Dispose();
        DropWatchUndo();
        _engine.Dispose();
        if (_haltPage != 0)
        {
            NativeMemory.AlignedFree((void*)_haltPage);
            _haltPage = 0;
        }
        if (_machinePage != 0)
        {
            NativeMemory.AlignedFree((void*)_machinePage);
            _machinePage = 0;
        }
    }

    /// <summary>
    /// Code was loaded, from an image or a snapshot file (whose stored executable pages are the <paramref name="code"/>):
    /// the machines look for the instructions they hook; the semihosting ones take <paramref name="file"/> as the command line.
    /// </summary>
    private protected virtual void Loaded(string file, IReadOnlyList<(ulong Address, ReadOnlyMemory<byte> Data)> code)
    {
    }

    /// <summary>The CPU registers a snapshot file holds, in the order they are written back.</summary>
    private protected abstract IReadOnlyList<SnapshotRegister> SnapshotRegisters { get; }

    /// <summary>Every register of <see cref="SnapshotRegisters"/> with its value (PC: where <see cref="Continue"/> would go on).</summary>
    internal IReadOnlyList<(string Name, byte[] Value)> SaveCpuState()
    {
        var saved = new List<(string, byte[])>();
        foreach (var register in SnapshotRegisters)
        {
            var value = new byte[register.Bytes];
            ReadSnapshotRegister(register, value);
            saved.Add((register.Name, value));
        }
        return saved;
    }

    /// <summary>
    /// Writes back what <see cref="SaveCpuState"/> returned (by name, in this machine's order) and reads each register
    /// back; <see cref="Continue"/> then goes on from the saved PC.
    /// </summary>
    /// <exception cref="InvalidDataException">A register is missing, unknown or of another width, or the engine did not take a value.</exception>
    internal void RestoreCpuState(IReadOnlyList<(string Name, byte[] Value)> saved)
    {
        var byName = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, value) in saved)
        {
            if (!SnapshotRegisters.Any(r => r.Name == name) || !byName.TryAdd(name, value))
            {
                throw new InvalidDataException($"CPU register '{name}' is not a register of this machine's CPU ({Cpu}), or is there twice.");
            }
        }
        foreach (var register in SnapshotRegisters)
        {
            if (!byName.TryGetValue(register.Name, out var value) || value.Length != register.Bytes)
            {
                throw new InvalidDataException($"CPU register '{register.Name}' ({register.Bytes} bytes) is missing or of another width.");
            }
            if (register.Write is { } write)
            {
                write(Widen(value));
            }
            else if (register.System is { } system)
            {
                _engine.WriteSystemRegister(system, Widen(value));
            }
            else if (register.Id == ProgramCounterRegister)
            {
                _engine.WriteRegister(register.Id, CodeAddress(Widen(value)));
            }
            else
            {
                _engine.WriteRegister(register.Id, value);
            }
        }
        _resumePc = null;   // the PC read back is the engine's
        _passStop = null;
        Span<byte> now = stackalloc byte[64];
        foreach (var register in SnapshotRegisters.Where(r => r.Verify))
        {
            var wanted = byName[register.Name];
            ReadSnapshotRegister(register, now[..register.Bytes]);
            if (!now[..register.Bytes].SequenceEqual(wanted))
            {
                throw new InvalidDataException($"The CPU engine did not take register '{register.Name}': wrote 0x{Convert.ToHexString([.. wanted.Reverse()])}, " +
                    $"it reads 0x{Convert.ToHexString([.. now[..register.Bytes].ToArray().Reverse()])}.");
            }
        }
        CpuStateRestored();
    }

    // The PC is where Continue goes on, not the halt page a limit may have left in the engine.
    private void ReadSnapshotRegister(SnapshotRegister register, Span<byte> value)
    {
        ulong? narrow = register.Read is { } read ? read()
            : register.System is { } system ? _engine.ReadSystemRegister(system)
            : register.Id == ProgramCounterRegister ? ResumePoint   // inside the machine's own code too: its state is saved with the models
            : null;
        if (narrow is { } number)
        {
            BitConverter.GetBytes(number).AsSpan(0, value.Length).CopyTo(value);
        }
        else
        {
            _engine.ReadRegister(register.Id, value);
        }
    }

    /// <summary>A register's little-endian bytes (at most 8) as a number.</summary>
    private protected static ulong Widen(ReadOnlySpan<byte> value)
    {
        Span<byte> wide = stackalloc byte[8];
        wide.Clear();
        value.CopyTo(wide);
        return BitConverter.ToUInt64(wide);
    }

    /// <summary>At reset and at a snapshot restore: state the machine keeps outside models and memory starts afresh (semihosting's errno).</summary>
    private protected virtual void HostStateRestarted()
    {
    }

    /// <summary>The CPU's registers were written back from a snapshot file: refresh what the machine keeps about them.</summary>
    private protected virtual void CpuStateRestored()
    {
    }

    /// <summary>Counts the blocks without input (Fuzzware's consumption timeout) from here, as a run from reset does.</summary>
    internal void RestartInputWindow() => (_inputBlocksFrom, _inputConsumed, _inputTimedOut) = (Blocks, _mmioInput?.Consumed ?? 0, false);

    // The count since the input was last read still holds: it has not timed out, and no read since went unseen.
    private bool InputWindowOpen => !_inputTimedOut && _mmioInput is not null && _mmioInput.Consumed == _inputConsumed;

    /// <summary>The state of every model as bytes (<see cref="SaveModels"/>).</summary>
    internal byte[] SaveModelState()
    {
        var writer = new StateWriter();
        SaveModels(writer);
        // Last, so that states saved before this record existed still read (without it, the input's timeout counts from the restore).
        writer.Begin("run in progress");
        // Blocks since the input was last read, where the timeout was watched (a fuzzer's boot to its start point runs
        // without it: its runs count from the start point, as their block and interrupt limits do).
        bool watched = InputTimeout > 0 && InputWindowOpen;
        writer.Write(watched ? Blocks - _inputBlocksFrom : 0UL);
        writer.Write(TimeAhead);   // states saved before it was kept read without it (nothing ahead)
        writer.Write(Peripherals.Ticks);   // last: states saved before it read as time 0
        return writer.ToArray();
    }

    /// <summary>Puts back the models' state from <see cref="SaveModelState"/>'s bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are another machine's state.</exception>
    internal void RestoreModelState(ReadOnlyMemory<byte> state)
    {
        HostStateRestarted();
        var reader = new StateReader(state);
        RestoreModels(reader);
        RestartInputWindow();
        Peripherals.Ticks = 0;   // states saved before the time was kept start it at 0
        if (!reader.AtEnd)
        {
            reader.Begin("run in progress");
            _inputBlocksFrom = unchecked(Blocks - reader.ReadUInt64());   // the count may be lower than that here (a new process): differences still hold
            _timeAt = _engine.Instructions + (reader.AtEnd ? 0 : reader.ReadUInt64());   // the next Continue keeps the timers that far ahead
            if (!reader.AtEnd)
            {
                Peripherals.Ticks = reader.ReadUInt64();
            }
        }
        reader.End();
    }

    /// <summary>Writes the state of the peripheral models, register blocks and whatever else the machine keeps, for a <see cref="MachineSnapshot"/>.</summary>
    private protected virtual void SaveModels(StateWriter writer)
    {
        Peripherals.SaveState(writer);
        Memory.SaveState(writer);
        writer.Begin("MMIO input");
        if (_mmioInput is not null)
        {
            _mmioInput.SaveState(writer);
        }
        else
        {
            writer.Write(0);
        }
    }

    /// <summary>Reads back what <see cref="SaveModels"/> wrote.</summary>
    private protected virtual void RestoreModels(StateReader reader)
    {
        Peripherals.RestoreState(reader);
        Memory.RestoreState(reader);
        reader.Begin("MMIO input");
        MmioInput.RestoreState(reader, _mmioInput);
    }

    /// <summary>Sets the registers for a run from reset and returns the address to start at.</summary>
    private protected abstract ulong Reset();

    /// <summary>The engine's id of the program counter.</summary>
    private protected abstract int ProgramCounterRegister { get; }

    /// <summary>Addresses to try for the halt page, in order: each must be executable for the CPU when unmapped.</summary>
    private protected abstract IReadOnlyList<ulong> HaltCandidates { get; }

    /// <summary>A 32-bit pattern of branch-to-self instructions that fills the halt page.</summary>
    private protected abstract uint HaltInstructions { get; }

    /// <summary>The value for the PC that runs code at <paramref name="address"/> (Thumb sets bit 0).</summary>
    private protected virtual ulong CodeAddress(ulong address) => address;

    /// <summary>The address of the WFI (or WFE) the CPU waits in, given the PC after it (<see cref="WaitsForInterrupt"/>).</summary>
    private protected virtual ulong WaitingInstruction(ulong pc) => pc - 4;

    /// <summary>The value for the PC that goes on at <paramref name="address"/> in the state the CPU stopped in.</summary>
    private protected virtual ulong ResumeAddress(ulong address) => CodeAddress(address);

    /// <summary>The size in bytes of the instruction at <paramref name="address"/>; asked only of instructions <see cref="ConditionalAfter"/> made conditional.</summary>
    private protected virtual uint InstructionSize(ulong address) => 4;

    /// <summary>How many instructions after the one at <paramref name="address"/> it makes conditional (a Thumb IT's block); 0 for most.</summary>
    private protected virtual int ConditionalAfter(ulong address) => 0;

    /// <summary>How many instructions these code bytes at <paramref name="address"/> hold: a block the engine sees first, or the part of one it counts up to.</summary>
    private protected virtual uint CountInstructions(ulong address, ReadOnlySpan<byte> code) => (uint)code.Length / 4;

    /// <summary>
    /// A block is about to run (after <see cref="Instructions"/> counted it and the timers advanced to
    /// that count): interrupts are taken here. Called at the blocks <see cref="NextEvent"/> asks for.
    /// </summary>
    private protected virtual void BlockEntered(ulong address)
    {
    }

    /// <summary>The engine returned from a run (for any reason): state the CPU keeps architecturally but the engine may not is made right here.</summary>
    private protected virtual void EngineReturned()
    {
    }

    /// <summary>The machine's timers advance by <paramref name="instructions"/> executed instructions (the peripheral models' clocks count them).</summary>
    private protected virtual void AdvanceTime(ulong instructions) => Peripherals.Advance(instructions);

    /// <summary>
    /// In how many instructions the machine next needs <see cref="BlockEntered"/>: 0 at the next block
    /// (something may be taken), else until its next timer event, <see cref="ulong.MaxValue"/> for never.
    /// Peripheral accesses and exceptions make the next block look again in any case.
    /// </summary>
    private protected virtual ulong NextEvent() => 0;

    // Instructions the timers have advanced past the count (see SyncTime).
    private ulong TimeAhead => _timeAt > _engine.Instructions ? _timeAt - _engine.Instructions : 0;

    /// <summary>The machine's time since reset in ticks of its peripherals' clocks (instructions executed, and the waits skipped).</summary>
    private protected ulong Now()
    {
        SyncTime();
        return Peripherals.Ticks;
    }

    /// <summary>Advances the timers to the instructions counted so far (lazily: before they are read, and when they are due).</summary>
    private protected void SyncTime()
    {
        ulong now = _engine.Instructions;
        if (now > _timeAt)
        {
            // A count corrected down after an exception leaves _timeAt ahead until the count catches up.
            AdvanceTime(now - _timeAt);
            _timeAt = now;
        }
    }

    /// <summary>Basic blocks of the firmware the engine has entered (a count that only grows; take differences; the machine's own pages are left out).</summary>
    private protected ulong Blocks => _engine.Blocks - _blocksTakenBack;
    private ulong _blocksTakenBack;   // blocks the engine counted, then stopped before, to run them again counted (ApproachesLimit)
    private bool _continuing;         // the run starting goes on from the last one (Continue), not from reset

    /// <summary>
    /// Before a block being entered is looked at (traced, covered, timed): true when the machine hooked instructions in it and
    /// made it start again from its top (<see cref="RestartBlock"/>), so that this entry does not count.
    /// </summary>
    private protected virtual bool RestartsBlock(ulong address) => false;

    /// <summary>The bytes of the block being entered.</summary>
    private protected uint BlockBytes => _engine.BlockSize;

    /// <summary>The instructions of the block being entered (in <see cref="BlockEntered"/>).</summary>
    private protected uint BlockInstructions => _engine.BlockInstructions;

    /// <summary>Where the block being run starts (in hooks: the block holding the instruction reported).</summary>
    private protected ulong BlockAddress => _engine.BlockAddress;

    /// <summary>
    /// Whether a hook at <paramref name="address"/> can end the run before that instruction. Unicorn cannot end one
    /// inside a Thumb IT block (it reverts the stop and runs on to the block's end).
    /// </summary>
    private protected bool CanStopAt(ulong address) => ExecutionStateAt(address) == 0;

    /// <summary>The execution state (a Thumb IT block's, as xPSR bits) of the instruction at <paramref name="address"/> in the block being run; 0 outside one.</summary>
    private protected virtual ulong ExecutionStateAt(ulong address) => 0;

    /// <summary>Puts back an execution state <see cref="ExecutionStateAt"/> read, so the next run starts inside the IT block.</summary>
    private protected virtual void ResumeExecutionState(ulong state)
    {
    }

    /// <summary>Whether a hook can end the run before any instruction (<see cref="CanStopAt"/> is always true).</summary>
    private protected virtual bool HooksStopAnywhere => true;

    /// <summary>
    /// In the block [address, address + size) being entered: the first instruction where <see cref="WantsStopAt"/> and a
    /// hook could not end the run, with the instructions before it in the block; null when there is none.
    /// </summary>
    private protected virtual (ulong Address, uint Before)? FirstUnstoppable(ulong address, uint size) => null;

    /// <summary>Makes every block call <see cref="BlockEntered"/> once more, as when it was new (blocks seen before the machine began to look at their instructions).</summary>
    private protected void ForgetBlocks() => _engine.ForgetBlocks();

    /// <summary>Makes the next block call <see cref="BlockEntered"/> (the machine's state changed).</summary>
    private protected void LookAtNextBlock() => _engine.ReportNextBlock();

    /// <summary>Whether the engine returned because the instruction before <paramref name="pc"/> is a wait for interrupt (Unicorn halts the CPU there).</summary>
    private protected virtual bool WaitsForInterrupt(ulong pc) => false;

    /// <summary>
    /// The CPU waits for an interrupt at <paramref name="pc"/>: advance the machine's timers to the next
    /// event, take the interrupt if it may be taken, and say where to go on; false when nothing can wake it.
    /// </summary>
    private protected virtual bool WakeUp(ulong pc, out ulong resume)
    {
        resume = 0;
        return false;
    }

    /// <summary>Reads a 16- or 32-bit instruction word through the engine.</summary>
    private protected uint ReadInstruction(ulong address, int bytes)
    {
        Span<byte> code = stackalloc byte[4];
        ReadThroughEngine(address, code[..bytes]);
        return bytes == 2 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(code) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(code);
    }

    /// <summary>The address of the instruction that raised exception <paramref name="number"/>, as the engine leaves the PC when it reports it.</summary>
    private protected virtual ulong TrappingInstruction(uint number) => ReadPc();

    /// <summary>Whether <see cref="TrappingInstruction"/> is the address of the instruction that raised (not the PC after it).</summary>
    private protected virtual bool TrapAddressIsExact => false;

    /// <summary>The CPU raised exception <paramref name="number"/> (the engine's numbering; Unicorn's today): the default stops the run with a fault.</summary>
    private protected virtual void Interrupt(uint number) =>
        Fail($"Run stopped at PC 0x{ReadPc():X8}: CPU exception {number} has no handler in this machine.");

    /// <summary>
    /// Where a machine without a vector table starts: the device's <c>[boot] entry_point</c> (the file says so
    /// explicitly), else the loaded image's entry point, else where a raw binary was loaded (as QEMU starts a
    /// raw <c>-kernel</c>/<c>-bios</c>).
    /// </summary>
    private protected ulong StartAddress() => Memory.Device.Boot.EntryPoint ?? EntryPoint ?? _rawStart
        ?? throw new InvalidOperationException($"Nothing says where to start on '{Memory.Device.Name}': load an image with an entry point (ELF) or set [boot] entry in the device file.");

    /// <summary>Reads a register by the engine's id (the value as the engine holds it).</summary>
    private protected ulong Register(int id) => _engine.ReadRegister(id);

    /// <summary>Writes a register by the engine's id.</summary>
    private protected void SetRegister(int id, ulong value) => _engine.WriteRegister(id, value);

    internal ulong ReadRegister(int id) => Register(id);

    internal void WriteRegister(int id, ulong value) => SetRegister(id, value);

    internal void ReadRegister(int id, Span<byte> value) => _engine.ReadRegister(id, value);

    internal ulong ReadSystemRegister(SystemRegister register) => _engine.ReadSystemRegister(register);

    internal void WriteSystemRegister(SystemRegister register, ulong value) => _engine.WriteSystemRegister(register, value);

    internal void WriteRegister(int id, ReadOnlySpan<byte> value) => _engine.WriteRegister(id, value);

    /// <summary>The program counter.</summary>
    private protected ulong ReadPc() => Register(ProgramCounterRegister);

    /// <summary>Reads code or data through the engine's view of memory (0s where nothing is mapped).</summary>
    private protected void ReadThroughEngine(ulong address, Span<byte> destination)
    {
        if (!_engine.TryReadMemory(address, destination))
        {
            destination.Clear();
        }
    }

    /// <summary>The firmware exits with <paramref name="code"/>; the run ends.</summary>
    private protected void Exit(int code)
    {
        CountToCurrentInstruction();
        _exitCode = code;
        Halt();
    }

    /// <summary>The CPU turned itself off (PSCI CPU_OFF): the run ends as idle, saying <paramref name="reason"/>.</summary>
    private protected void PowerOff(string reason)
    {
        CountToCurrentInstruction();
        _poweredOff = reason;
        Halt();
    }

    /// <summary>The run ends with an <see cref="EmulationFault"/> saying <paramref name="message"/>.</summary>
    private protected void Fail(string message)
    {
        CountToCurrentInstruction();
        _fault ??= new EmulationFault(message, ReadPc(), null, null);
        Halt();
    }

    private void Halt()
    {
        _halting = true;
        _engine.ReportNextBlock();   // inside a Thumb IT block the engine reverts the stop: the next block stops it
        ulong pc = ReadPc();
        if (RunEnded)
        {
            KeepEndState(pc, halted: true);
        }
        if (pc - _haltAddress >= Granule)
        {
            _haltedFrom = pc;   // for a state dump after the run (FirmwareMachine.Host.cs)
            _haltedState = ResumeAddress(0);   // the halt page is Thumb code: the state stopped in (EPSR.T) is put back with the stop point
        }
        _engine.WriteRegister(ProgramCounterRegister, CodeAddress(_haltAddress));
        _engine.Stop();
    }

    private void Stop(Exception e)
    {
        if (_callbackError is null)
        {
            CountToCurrentInstruction();
            _callbackError = e;
            _callbackPc = ReadPc();   // before Halt moves it to the halt page
        }
        Halt();
    }

    // RAM and flash interiors straight onto MemGate's host pages; peripherals and shared edge pages via MMIO.
    private void MapMemory()
    {
        var main = Memory.Main;
        _layoutVersion = main.LayoutVersion;
        var mixed = new SortedSet<ulong>();
        foreach (var region in main.Regions)
        {
            ulong start = region.Start.Value;
            ulong end = start + region.Size;
            ulong inner = AlignUp(start);
            ulong innerEnd = end & ~(Granule - 1);
            for (ulong page = start & ~(Granule - 1); page < Math.Min(inner, end); page += Granule)
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
                Mapping(region, () => _engine.MapPrivate(inner, innerEnd - inner, region.Permissions));
                _copied.Add((inner, innerEnd - inner));
            }
            else if (region.HasHostMemory && main.TryFindHost(new GuestAddress(inner), out nint host))
            {
                Mapping(region, () => _engine.MapHost(inner, innerEnd - inner, region.Permissions, host));
            }
            else if (!_engineOwned && MirroredHost(region, inner, innerEnd - inner) is { } mirrored)
            {
                // An alias of memory (a boot alias of flash) maps the same host pages: the CPU runs code there, as from
                // the memory itself, which the engine cannot do through MMIO. Unicorn keys translated code by host page,
                // so InvalidateCode at either address drops the code at both (a test holds it to that).
                Mapping(region, () => _engine.MapHost(inner, innerEnd - inner, region.Permissions, mirrored));
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


    // The host memory an alias region's [address, address + length) shows, when it is a plain mirror of one host-backed,
    // read-only region of the same address space (flash, ROM) at the same offset in the engine's pages; null otherwise
    // (bit-band, another space, a target that is not all memory). A writable target stays behind MMIO: the engine
    // notices code rewritten by stores only at the address the stores go to, not at the other.
    private nint? MirroredHost(GuestRegion region, ulong address, ulong length)
    {
        var main = Memory.Main;
        if (region.Handler is not Mmio.MirrorHandler mirror || !ReferenceEquals(mirror.Memory, main) || (region.Permissions & Permissions.Write) != 0)
        {
            return null;
        }
        ulong target = mirror.Target.Value + (address - region.Start.Value);
        return target % Granule == 0 && main.FindRegion(new GuestAddress(target)) is { HasHostMemory: true } held
            && (held.Permissions & Permissions.Write) == 0 && held.Last.Value >= target + (length - 1)
            && main.TryFindHost(new GuestAddress(target), out nint host) ? host : null;
    }

    // The engine's error names the range; the region's name says which part of the device file it is.
    private static void Mapping(GuestRegion region, Action map)
    {
        try
        {
            map();
        }
        catch (CpuEngineException e)
        {
            throw new CpuEngineException(e.Error, e.Code, $"Region '{region.Name}': {e.Message}");
        }
    }

    private void MapHaltPage()
    {
        var main = Memory.Main;
        _haltAddress = HaltCandidates.FirstOrDefault(a => main.Regions.All(r => r.Last.Value < a || r.Start.Value >= a + Granule));
        if (_haltAddress == 0)
        {
            throw new NotSupportedException($"Device '{Memory.Device.Name}' leaves no free page for the run's halt address.");
        }
        _haltPage = (nint)NativeMemory.AlignedAlloc((nuint)Granule, (nuint)Granule);
        new Span<uint>((void*)_haltPage, (int)Granule / 4).Fill(HaltInstructions);
        _engine.MapHost(_haltAddress, Granule, Permissions.ReadExecute, _haltPage);
        _engine.ExcludeFromBlockCount(_haltAddress, Granule);   // not the firmware's: block limits and block clocks count only its blocks
    }

    private void MapMmio(ulong address, ulong size) => _engine.MapMmio(address, size, new MemoryWindow(this, address));

    // Engine MMIO on a window of the device's memory: peripheral models see time up to the access, and a
    // read may change state too (read-to-clear), so the next block looks at the machine again.
    private sealed class MemoryWindow(FirmwareMachine machine, ulong start) : IMmioHandler
    {
        public ulong Read(ulong offset, int size)
        {
            if (machine.RunEnded)
            {
                return 0;
            }
            machine._inBlockCallback = true;
            machine.SyncTime();
            machine.LookAtNextBlock();
            var main = machine.Memory.Main;
            var address = new GuestAddress(start + offset);
            ulong value = size switch
            {
                1 => main.ReadByte(address),
                2 => main.ReadUInt16(address),
                4 => main.ReadUInt32(address),
                _ => main.ReadUInt64(address),
            };
            machine._inBlockCallback = false;
            return value;
        }

        public void Write(ulong offset, int size, ulong value)
        {
            if (machine.RunEnded)
            {
                return;
            }
            machine._inBlockCallback = true;
            machine.SyncTime();
            machine.LookAtNextBlock();
            var main = machine.Memory.Main;
            var address = new GuestAddress(start + offset);
            switch (size)
            {
                case 1: main.WriteByte(address, (byte)value); break;
                case 2: main.WriteUInt16(address, (ushort)value); break;
                case 4: main.WriteUInt32(address, (uint)value); break;
                default: main.WriteUInt64(address, value); break;
            }
            machine._inBlockCallback = false;
        }
    }

    // The engine's events, kept off the machine's public surface.
    private sealed class EngineEvents(FirmwareMachine machine) : ICpuEngineEvents
    {
        // The halt page and the machine's own code (exception entry helpers) are not the firmware's instructions.
        public uint CountInstructions(ulong address, ReadOnlySpan<byte> code) => machine.IsFirmwareCode(address) ? machine.CountInstructions(address, code) : 0;

        public ulong BlockEntered(ulong address)
        {
            if (machine.RunEnded)
            {
                // The run ended in a hook whose stop the engine reverted (inside a Thumb IT block): not this block.
                machine._engine.Stop();
                return 0;
            }
            if (machine._lateStop is null && machine._halting && machine._resumePc is { } lost && machine._accessTrap is null && machine.IsFirmwareCode(address))
            {
                // A halt before an instruction the engine then ran anyway: a stop it reverted inside a Thumb IT block
                // that CanStopAt could not see (the block began inside the IT block). End the run here instead.
                machine._lateStop = (machine._debugStop, $"the stop at 0x{lost & ~1UL:X8}");
            }
            if (machine._lateStop is { } late && machine._accessTrap is null)
            {
                if (!machine.IsFirmwareCode(address))
                {
                    machine.LookAtNextBlock();   // not on the machine's own code (exception entry): the firmware's next block
                }
                else
                {
                    machine._lateStop = null;
                    machine.ErrorOutput.WriteLine($"memgate: {late.What} lies inside a Thumb IT block, where the CPU engine cannot stop; stopped at the next block, 0x{address & ~1UL:X8}");
                    machine._newBlock = null;   // the last block's, not this one's
                    machine._blocksTakenBack++;   // counted on entry; it runs when the run goes on
                    machine.HaltBefore(address, late.Outcome);
                    return 0;
                }
            }
            if (machine._stopRequested || machine.DeadlinePassed)
            {
                // Asked before the engine started (which forgot it), or in the middle of the run: the block does not
                // run, as for a limit below, so the count stays exact.
                machine._stoppedBeforeBlock = true;
                machine._engine.Stop();
                return 0;
            }
            if (machine.RestartsBlock(address))
            {
                return 0;   // translated again with what the machine hooked in it: seen (traced, covered, timed) when it runs
            }
            if (machine.ApproachesUnstoppable(address) || machine.ApproachesLimit())
            {
                return 0;   // the block does not run now: the engine stops before it and runs it again, to the limit or the stop
            }
            // The machine's own pages (the halt page, its exception-entry code) are not the firmware's blocks.
            bool firmware = machine.IsFirmwareCode(address);
            machine._newBlock = firmware && machine._coverage?.TryAdd(address, machine._engine.BlockSize) == true ? address : null;
            machine.SyncTime();
            ulong limit = ulong.MaxValue;
            if (machine.BlockLimit > 0 && !machine._stepping)
            {
                limit = machine.WatchBlockLimit(address);
                if (machine._blockLimitReached)
                {
                    return limit;
                }
            }
            machine.HostBlockEntered(address, firmware);   // UART input, block trace (FirmwareMachine.Host.cs)
            if (machine._stepping)
            {
                return 0;   // a debugger's step takes no interrupt
            }
            machine.BlockEntered(address);
            ulong next = Math.Min(Math.Min(Math.Min(machine.NextEvent(), machine.BlockReportInterval), limit), machine.UntilLimitBlock());
            return machine.InputTimeout > 0 && machine._mmioInput is { } input ? machine.WatchInput(input, address, firmware, next) : next;
        }

        public void Interrupt(uint number)
        {
            machine._inBlockCallback = false;
            if (machine.RunEnded)
            {
                return;   // raised by the rest of an IT block the run ended in: undone, so not taken
            }
            machine._engine.CountUpTo(machine.TrappingInstruction(number), raised: machine.TrapAddressIsExact);
            machine.SyncTime();
            machine.LookAtNextBlock();
            machine.Interrupt(number);
            machine.StopAtLimit();
        }

        public bool InvalidAccess(AccessKind access, bool unmapped, ulong address, int size, ulong value)
        {
            machine._inBlockCallback = true;
            bool handled = machine.InvalidAccess(access, unmapped, address, size);
            machine._inBlockCallback = false;
            return handled;
        }

        public void InstructionReached(ulong address)
        {
            if (machine.RunEnded)
            {
                return;
            }
            machine._inBlockCallback = true;
            ReachedInstruction(address);
            machine._inBlockCallback = false;
        }

        private void ReachedInstruction(ulong address)
        {
            machine.InstructionReaching(address);   // whatever the hook then does (stop, return from a function)
            // A stop point (or breakpoint) comes first, even where a function returns at once; Continue from it runs on.
            bool passing = machine._passStop == address;
            if (passing)
            {
                machine._passStop = null;
            }
            else if (machine._reached is null && machine._debugStop is null)
            {
                if (machine._breakpoints.ContainsKey(address))
                {
                    machine.HaltBefore(address, RunOutcome.Breakpoint, "a breakpoint");
                    return;
                }
                if (machine._stopPoints.TryGetValue(address, out string? name))
                {
                    machine._reached = name;
                    machine.HaltBefore(address, null, $"stop point {name}");
                    return;
                }
            }
            if (machine._returns.TryGetValue(address, out ulong? result))
            {
                // The function's first instruction does not run: count up to it and return to the caller.
                machine._engine.CountUpTo(address, including: false);
                machine.ReturnFromFunction(result);
                machine.LookAtNextBlock();
                return;
            }
            machine.InstructionReached(address);
        }

        public void MemoryWatched(AccessKind access, ulong address, int size)
        {
            if (!machine.RunEnded)
            {
                machine.MemoryWatched(access, address, size);
            }
        }

        public void InstructionStarting(ulong address, uint size)
        {
            if (!machine.RunEnded)
            {
                machine.InstructionStarting(address, size);
            }
        }

        public bool SystemRegisterRead(SystemRegister register, out ulong value) => machine.SystemRegisterRead(register, out value);

        public bool SystemRegisterWritten(SystemRegister register, ulong value) => machine.SystemRegisterWritten(register, value);

        public void CallbackFailed(Exception error) => machine.Stop(error);
    }

    // Fuzzware's consumption timeout, checked where blocks report (an MMIO read makes the next block report,
    // so consumption is seen one block late at most). Returns when to look again: a block runs at least one
    // instruction, so the blocks left, taken as instructions, never overshoot the limit.
    private ulong WatchInput(MmioInput input, ulong address, bool firmware, ulong next)
    {
        ulong blocks = Blocks;
        if (input.Consumed != _inputConsumed)
        {
            // This block, if the engine counted it (the machine's own code it does not), is the first without input.
            (_inputConsumed, _inputBlocksFrom) = (input.Consumed, firmware ? blocks - 1 : blocks);
        }
        ulong idle = blocks - _inputBlocksFrom;
        if (idle > InputTimeout && !_inputTimedOut && _reached is null && _debugStop is null)
        {
            _inputTimedOut = true;
            HaltBefore(address, null);
            return next;
        }
        return Math.Min(next, InputTimeout + 1 - idle);
    }

    // Fuzzware's block limit (its timer fires in the hook of the limit-th block; that block runs, the next does not).
    // Checked where blocks report; returns when to look again, in instructions: a block runs at least one, so the
    // blocks left never overshoot.
    private ulong WatchBlockLimit(ulong address)
    {
        ulong ran = Blocks - _runBlocksFrom;   // this block included
        if (ran > BlockLimit && _reached is null && _debugStop is null && !_inputTimedOut && !_interruptLimitReached)
        {
            _blockLimitReached = true;
            HaltBefore(address, null);
            return 0;
        }
        return ran > BlockLimit ? 0 : BlockLimit + 1 - ran;
    }

    /// <summary>
    /// Counts an exception entry against <see cref="InterruptLimit"/> (SysTick's are not counted, as in Fuzzware):
    /// true when it reaches the limit, and then the run ends before the entry, with the firmware to go on at
    /// <paramref name="resumeAt"/> (the return address the entry would have stacked).
    /// </summary>
    private protected bool InterruptLimitReached(bool counted, ulong resumeAt)
    {
        if (_interruptLimitReached)
        {
            return true;
        }
        if (!counted || InterruptLimit == 0 || ++_interruptsTaken < InterruptLimit || _blockLimitReached || _inputTimedOut)
        {
            return false;
        }
        _interruptLimitReached = true;
        _resumePc = resumeAt & ~1UL;
        Halt();
        return true;
    }

    // An instruction of the current block raised an exception or ended the run (an exit through a device
    // register, a fault): the block counted whole when it was entered, but only the instructions before
    // that one and that one ran.
    private protected void CountToCurrentInstruction(ulong? at = null) => _engine.CountUpTo(at ?? ReadPc());

    /// <summary>The block just entered at <paramref name="address"/> did not run (it is started again): takes back its count.</summary>
    private protected void UncountBlock(ulong address) => _engine.CountUpTo(address, including: false);

    /// <summary>
    /// The block being entered at <paramref name="address"/> starts again from its top (translated anew) before anything
    /// of it ran: its instructions and its entry are not counted twice. Only from <see cref="RestartsBlock"/>, before
    /// anything took in the entry.
    /// </summary>
    private protected void RestartBlock(ulong address)
    {
        UncountBlock(address);
        if (IsFirmwareCode(address))
        {
            _blocksTakenBack++;
        }
        _engine.ReenterBlock(address);
        SetRegister(ProgramCounterRegister, CodeAddress(address));
    }

    // The block just entered would take the run past its instruction limit: the engine stops before it and runs the
    // instructions left with its count.
    private bool ApproachesLimit()
    {
        if (_counted || _maxInstructions == 0 || _switchToCount || Instructions <= _maxInstructions)
        {
            return false;
        }
        _switchToCount = true;
        _engine.Stop();
        return true;
    }

    // Instructions until ApproachesLimit must look: at the first block that ends past the limit.
    private ulong UntilLimitBlock() =>
        _counted || _maxInstructions == 0 ? ulong.MaxValue : _maxInstructions + 1 - Math.Min(Instructions, _maxInstructions);

    // Limits are checked at every exception too: a trap storm (a trap vector that traps again) may never
    // complete a block, and the engine's own timeout and stop request do not end it.
    private void StopAtLimit()
    {
        if (RunEnded)
        {
            return;   // already ending
        }
        if (_stopRequested || (_maxInstructions > 0 && Instructions >= _maxInstructions) || DeadlinePassed)
        {
            _resumePc = ReadPc();   // the exception was delivered: Continue goes on at its handler
            Halt();
        }
    }

    // ---- Faults the firmware takes (its trap or fault handler runs instead of the run ending) ----

    // An access fault to deliver once the engine has stopped, with the CPU and the instruction count as they were at
    // the fault: Unicorn finishes the translated block after a faulting store (and may enter the next), which they undo.
    private (AccessKind Access, ulong Address, ulong Pc, ICpuContext Cpu, ulong Instructions)? _accessTrap;
    // The CPU where the run ended (an exit, a fault, a call-back's error) at an instruction the engine could not stop at
    // (inside a Thumb IT block): it runs the rest of the block first, which the end of the run undoes. Halted: the run
    // was sent to the halt page (Ended), which it is again afterwards.
    private (ICpuContext Cpu, ulong Instructions, ulong ItState, bool Halted)? _endState;

    // In a call-back from inside a translated block (a peripheral access, an invalid access, a code hook), where the CPU's
    // IT state is the block's entry's (ExecutionStateAt holds there) and the engine cannot stop inside an IT block. Not
    // in an interrupt hook, where the engine can stop and the CPU holds the IT state of the PC. Left set when the
    // call-back throws, since its error ends the run after it returned (CallbackFailed).
    private bool _inBlockCallback;

    // The run has ended: what the engine still runs before it stops (the rest of a Thumb IT block) is undone afterwards,
    // so it reaches no device, stop point or watchpoint.
    private bool RunEnded => _exitCode is not null || _fault is not null || _callbackError is not null || _poweredOff is not null;

    // Keeps the CPU as it is at `pc`, where the run ends, if the engine cannot stop there.
    private void KeepEndState(ulong pc, bool halted)
    {
        if (_endState is null && _inBlockCallback && ExecutionStateAt(pc) is var it and not 0)
        {
            _endState = (_engine.SaveContext(), Instructions, it, halted);
        }
    }

    /// <summary>Whether the firmware takes this access fault (unmapped or against permissions) as an exception now, instead of the run ending with an <see cref="EmulationFault"/>.</summary>
    private protected virtual bool TakesAccessFault(AccessKind access, ulong address) => false;

    /// <summary>Sets the CPU up to run the firmware's handler for an access fault at <paramref name="pc"/> (registers are as at the faulting instruction).</summary>
    private protected virtual void TakeAccessFault(AccessKind access, ulong address, ulong pc)
    {
    }

    /// <summary>The engine stopped with <paramref name="error"/> for something the firmware may take (RISC-V's EBREAK): true when the CPU is now set up for its handler.</summary>
    private protected virtual bool TakeEngineStop(CpuEngineException error) => false;

    /// <summary>
    /// The engine stopped for what is no fault of the firmware's (Cortex-M's YIELD and WFE, which Unicorn reports as invalid
    /// instructions): true when the machine set the run to go on, whatever <see cref="FaultsEndRun"/> says.
    /// </summary>
    private protected virtual bool GoesOnAfterEngineStop(CpuEngineException error) => false;

    /// <summary>Calls <see cref="InstructionReached"/> before the instruction at <paramref name="address"/> runs; code translated before this call is not affected.</summary>
    private protected void HookInstruction(ulong address) => _engine.HookInstruction(address);

    /// <summary>An instruction hooked with <see cref="HookInstruction"/> is about to run (setting the PC skips it).</summary>
    private protected virtual void InstructionReached(ulong address)
    {
    }

    /// <summary>
    /// A hooked instruction is reached, before anything else its hooks do (a stop point ends the run there, a function
    /// return skips it): for state the CPU must show at every instruction.
    /// </summary>
    private protected virtual void InstructionReaching(ulong address)
    {
    }

    /// <summary>
    /// Maps a page of the machine's own code at a free candidate address other than the halt page's (for
    /// instruction sequences the engine must run, such as a CLREX before a handler); returns its guest
    /// address and the host memory behind it, which the machine may write data into.
    /// </summary>
    private protected (ulong Address, nint Host) MapMachineCode(ReadOnlySpan<byte> code)
    {
        var main = Memory.Main;
        ulong address = HaltCandidates.FirstOrDefault(a => a != _haltAddress && main.Regions.All(r => r.Last.Value < a || r.Start.Value >= a + Granule));
        if (address == 0)
        {
            throw new NotSupportedException($"Device '{Memory.Device.Name}' leaves no free page for the machine's own code.");
        }
        _machinePage = (nint)NativeMemory.AlignedAlloc((nuint)Granule, (nuint)Granule);
        var page = new Span<byte>((void*)_machinePage, (int)Granule);
        page.Clear();
        code.CopyTo(page);
        _engine.MapHost(address, Granule, Permissions.ReadExecute, _machinePage);
        _engine.ExcludeFromBlockCount(address, Granule);   // as the halt page: Fuzzware enters exceptions without running any code
        _machineCodeAddress = address;
        return (address, _machinePage);
    }

    private nint _machinePage;

    /// <summary>
    /// Where the machine's own code at <paramref name="pc"/> (<see cref="MapMachineCode"/>) goes on in the firmware, for a stop
    /// there (an instruction limit, a debugger's step) to show; null when <paramref name="pc"/> is not in it.
    /// </summary>
    private protected virtual ulong? MachineCodeLeadsTo(ulong pc) => null;

    // Not on the halt page nor the machine's own code page.
    private bool IsFirmwareCode(ulong address) => address - _haltAddress >= Granule && address - _machineCodeAddress >= Granule;
    private ulong _machineCodeAddress = ulong.MaxValue;

    private bool DeliverTrap(CpuEngineException error)
    {
        if (RunEnded)
        {
            return false;
        }
        if (_accessTrap is not { } trap)
        {
            return GoesOnAfterEngineStop(error) || (!FaultsEndRun && TakeEngineStop(error));
        }
        _accessTrap = null;
        using (trap.Cpu)
        {
            _engine.RestoreContext(trap.Cpu);
        }
        _engine.Instructions = trap.Instructions;
        TakeAccessFault(trap.Access, trap.Address, trap.Pc);
        return true;
    }

    // ---- end of faults the firmware takes ----

    // ---- AArch64 system registers (MRS/MSR the machine serves itself, registers by encoding) ----

    /// <summary>Sends every MRS and MSR to <see cref="SystemRegisterRead"/> and <see cref="SystemRegisterWritten"/> (code translated before this call is not affected).</summary>
    private protected void HookSystemRegisters() => _engine.HookSystemRegisters();

    /// <summary>An MRS of <paramref name="register"/> is about to run: true with <paramref name="value"/> to serve it here (the engine then skips it).</summary>
    private protected virtual bool SystemRegisterRead(SystemRegister register, out ulong value)
    {
        value = 0;
        return false;
    }

    /// <summary>An MSR of <paramref name="value"/> to <paramref name="register"/> is about to run: true when served here (the engine then skips it).</summary>
    private protected virtual bool SystemRegisterWritten(SystemRegister register, ulong value) => false;

    /// <summary>Reads a system register by encoding through the engine.</summary>
    private protected ulong SystemRegister(uint op0, uint op1, uint crn, uint crm, uint op2) => _engine.ReadSystemRegister(new(op0, op1, crn, crm, op2));

    /// <summary>Writes a system register by encoding (the engine then recomputes the CPU's cached state, such as the exception level).</summary>
    private protected void SetSystemRegister(uint op0, uint op1, uint crn, uint crm, uint op2, ulong value) =>
        _engine.WriteSystemRegister(new(op0, op1, crn, crm, op2), value);

    // ---- end of AArch64 system registers ----

    private bool InvalidAccess(AccessKind access, bool unmapped, ulong address, int size)
    {
        if (RunEnded)
        {
            return false;
        }
        string what = (access, unmapped) switch
        {
            (AccessKind.Read, true) => "read of unmapped memory",
            (AccessKind.Write, true) => "write to unmapped memory",
            (AccessKind.Execute, true) => "instruction fetch from unmapped memory",
            (AccessKind.Write, false) => "write to read-only memory",
            (AccessKind.Read, false) => "read of unreadable memory",
            _ => "instruction fetch from non-executable memory",
        };
        CountToCurrentInstruction();
        ulong pc = ReadPc();
        if (_accessTrap is null && !FaultsEndRun && TakesAccessFault(access, address))
        {
            _accessTrap = (access, address, pc, _engine.SaveContext(), Instructions);
            return false;
        }
        KeepEndState(pc, halted: false);
        var found = Memory.Main.FindRegion(new GuestAddress(address));
        string region = found is { } r ? $" (region '{r.Name}', {PermissionsText.ToRwx(r.Permissions)})" : "";
        if (access == AccessKind.Execute && found is { } partial && partial.Permissions.HasFlag(Permissions.Execute)
            && (address & ~(Granule - 1)) is var page && (partial.Start.Value > page || partial.Last.Value < page + Granule - 1))
        {
            // The engine runs code only from whole pages it maps as memory; a page the region fills in part is served by hooks.
            region += $": the region fills the {Granule / 1024} KiB page at 0x{page:X8} only in part, and the CPU engine runs code only from whole " +
                $"pages: start and end the region on {Granule / 1024} KiB boundaries";
        }
        _fault = new EmulationFault($"Guest fault at PC 0x{pc:X8}: {what} at 0x{address:X8}, {size} bytes{region}.", pc, address, access);
        return false; // stop
    }

    private ulong AlignUp(ulong value) => (value + Granule - 1) & ~(Granule - 1);
}
