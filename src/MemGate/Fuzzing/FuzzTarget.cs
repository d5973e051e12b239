using System.Runtime.InteropServices;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Fuzzing;

/// <summary>
/// Firmware ready to be run again and again on inputs: the input answers unmodelled MMIO reads (Fuzzware's
/// semantics where the device was imported, else every unmodelled register), each run starts from a
/// machine snapshot (taken at reset, or at <see cref="FuzzTargetOptions.StartAt"/>) restoring only the pages
/// the last run wrote, and the engine counts edges into a map in native code.
/// </summary>
/// <example>
/// <code>
/// using var target = FuzzTarget.Create(device, image, new FuzzTargetOptions());
/// var run = target.Execute("FUZ!"u8);
/// </code>
/// </example>
public sealed unsafe class FuzzTarget : IDisposable
{
    /// <summary>The most instructions the way from reset to <see cref="FuzzTargetOptions.StartAt"/> may take (more when a run may take more).</summary>
    public const ulong BootInstructionLimit = 100_000_000;

    /// <summary>The size of the edge map (as AFL's default).</summary>
    public const int MapSize = 1 << 16;

    private readonly FirmwareMachine _machine;
    private readonly MmioInput _input;
    private readonly MachineSnapshot _snapshot;
    private readonly FuzzTargetOptions _options;
    private readonly bool _started;
    private readonly byte[] _ownMap = GC.AllocateArray<byte>(MapSize, pinned: true);   // pinned: the engine writes it from native code
    private byte* _map;
    private byte[] _buffer = new byte[4096];

    private FuzzTarget(FirmwareMachine machine, MmioInput input, MachineSnapshot snapshot, FuzzTargetOptions options, bool started)
    {
        _machine = machine;
        _input = input;
        _snapshot = snapshot;
        _options = options;
        _started = started;
        UseMap(OwnMap);
    }

    /// <summary>The machine runs go through (for its memory and registers).</summary>
    public FirmwareMachine Machine => _machine;

    /// <summary>The edge map the last run filled (cleared at the start of each run unless the map is another's, see <see cref="UseMap"/>).</summary>
    public ReadOnlySpan<byte> Edges => new(_map, MapSize);

    /// <summary>
    /// Builds the machine, loads the image, and takes the snapshot runs start from: at reset, or (with
    /// <see cref="FuzzTargetOptions.StartAt"/>, or where <see cref="FuzzTargetOptions.StartInput"/> runs out) after running there.
    /// </summary>
    /// <exception cref="NotSupportedException">The kernel cannot track memory writes (snapshots), or no machine runs the device's CPU.</exception>
    /// <exception cref="InvalidOperationException">The firmware does not reach the start address without input.</exception>
    public static FuzzTarget Create(DeviceDescription device, FirmwareImage? image, FuzzTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        device = device.ForMmioInput();
        var input = new MmioInput(ReadOnlyMemory<byte>.Empty);
        var machine = FirmwareMachine.Create(device, options.Output, new FirmwareMachineOptions { BaseDirectory = options.BaseDirectory, MmioInput = input, ErrorOutput = TextWriter.Null });
        try
        {
            if (image is not null)
            {
                machine.Load(image);
            }
            if (options.SharedFlash is { } shared)
            {
                machine.ShareFlash(shared);
            }
            bool started = false;
            // The way to the start point is not a run of the campaign: no run's limit counts it (a per-run instruction
            // limit of a few instructions is for the runs from there), only the boot's own bound.
            (machine.BlockLimit, machine.InterruptLimit) = (0, 0);
            ulong bound = Math.Max(options.MaxInstructions, BootInstructionLimit);
            string reading = options.StartInput is { } given ? $"reading the {given.Length:N0}-byte prefix input" : "without input";
            input.Replace(options.StartInput ?? ReadOnlyMemory<byte>.Empty);   // each run from reset reads it from its start
            if (options.StartAt is { } start)
            {
                machine.AddBreakpoint(start);
                var boot = Boot(machine, bound, options, reading);
                machine.RemoveBreakpoint(start);
                if (boot.Outcome != RunOutcome.Breakpoint)
                {
                    throw new InvalidOperationException($"The firmware does not reach 0x{start & ~1UL:X8} from reset {reading}: the run ended with '{boot.Reason}' after {boot.Instructions:N0} instructions.");
                }
                started = true;
            }
            else if (options.StartInput is not null)
            {
                // As Fuzzware finds its start: run until the prefix runs out, then again to just before the instruction that
                // read past it (a run that ran out cannot go on; one stopped by its instruction limit can).
                var probe = Boot(machine, bound, options, reading);
                if (probe.Outcome != RunOutcome.InputExhausted)
                {
                    throw new InvalidOperationException($"The firmware does not read past the prefix input from reset: {reading}, the run ended with '{probe.Reason}' after {probe.Instructions:N0} instructions.");
                }
                if (probe.Instructions > 1)
                {
                    var boot = Boot(machine, probe.Instructions - 1, options, reading);
                    if (boot.Outcome != RunOutcome.InstructionLimit)
                    {
                        throw new InvalidOperationException($"The firmware did not run as before {reading}: the run ended with '{boot.Reason}' after {boot.Instructions:N0} instructions.");
                    }
                    started = true;
                }
            }
            ApplyLimits(machine, device, options);
            machine.RestartInputWindow();   // the boot's blocks without input are not the runs'
            return new FuzzTarget(machine, input, machine.TakeSnapshot(), options, started);
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    // A run from reset on the way to the start point; a guest fault there means there is no start to give.
    private static RunResult Boot(FirmwareMachine machine, ulong limit, FuzzTargetOptions options, string reading)
    {
        try
        {
            return machine.Run(limit, options.Timeout);
        }
        catch (EmulationFault fault)
        {
            throw new InvalidOperationException($"The way to the start point faults {reading}: {fault.Message}", fault);
        }
    }

    /// <summary>
    /// Builds the machine from a snapshot file (<c>memgate run --save-snapshot</c>) and starts every run from the
    /// state it holds, with the fuzz input from its first byte.
    /// </summary>
    /// <exception cref="Snapshots.Files.SnapshotFileException">The file cannot be used.</exception>
    /// <exception cref="NotSupportedException">The kernel cannot track memory writes (snapshots).</exception>
    public static FuzzTarget FromSnapshotFile(string path, FuzzTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = Snapshots.Files.SnapshotFile.Open(path);
        var device = FirmwareMachine.ReadSnapshotDevice(file).ForMmioInput();
        var input = new MmioInput(ReadOnlyMemory<byte>.Empty);
        var machine = FirmwareMachine.FromSnapshotFile(file, options.Output, new FirmwareMachineOptions { BaseDirectory = options.BaseDirectory, MmioInput = input, ErrorOutput = TextWriter.Null }, device);
        try
        {
            ApplyLimits(machine, device, options);
            return new FuzzTarget(machine, input, machine.TakeSnapshot(), options, started: true);
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    // The options' limits win over the device's [limits]; 0: none. Runs end as `memgate run --mmio-input` ends them, so
    // that the printed replay command reproduces each: a guest fault ends the run (a crash, as in Fuzzware) instead of
    // going to the firmware's fault handler, and the input timeout is the device's, else Fuzzware's default.
    private static void ApplyLimits(FirmwareMachine machine, DeviceDescription device, FuzzTargetOptions options)
    {
        machine.BlockLimit = options.MaxBlocks ?? device.Limits.Blocks ?? 0;
        machine.InterruptLimit = options.MaxInterrupts ?? device.Limits.Interrupts ?? 0;
        machine.InputTimeout = options.InputTimeout ?? device.Limits.InputTimeoutOrFuzzware;
        machine.FaultsEndRun = true;
    }

    /// <summary>
    /// Counts edges into <paramref name="map"/> (<see cref="MapSize"/> bytes, such as AFL's shared memory)
    /// instead of the target's own map; the owner of that map clears it between runs.
    /// </summary>
    public void UseMap(nint map)
    {
        _map = (byte*)map;
        _machine.TraceEdges(map, MapSize);
    }

    /// <summary>Runs the firmware on <paramref name="input"/> from the snapshot and says how it ended.</summary>
    public FuzzRun Execute(ReadOnlySpan<byte> input)
    {
        if (_buffer.Length < input.Length)
        {
            _buffer = new byte[Math.Max(input.Length, _buffer.Length * 2)];
        }
        input.CopyTo(_buffer);
        _input.Replace(_buffer.AsMemory(0, input.Length));
        if ((nint)_map == OwnMap)
        {
            new Span<byte>(_map, MapSize).Clear();
        }
        _machine.Restore(_snapshot);
        _machine.RestartEdges();
        try
        {
            var run = _started ? _machine.Continue(_options.MaxInstructions, _options.Timeout) : _machine.Run(_options.MaxInstructions, _options.Timeout);
            // The instruction limit and the timeout are this fuzzer's own hang bounds. Fuzzware's block and interrupt limits (like
            // the input running out or timing out) end a run normally, as in Fuzzware (its instr_limit_timeout_cb exits with
            // UC_ERR_OK): firmware driven by interrupts takes many without being stuck, and a run that long still shows coverage.
            if (run.Outcome is RunOutcome.InstructionLimit or RunOutcome.Timeout)
            {
                ulong at = _machine.ProgramCounter;
                return new FuzzRun(FuzzRunKind.Hang, run.Reason, at, run.Instructions, $"hang@0x{at:x8}");
            }
            return new FuzzRun(FuzzRunKind.Normal, run.Reason, _machine.ProgramCounter, run.Instructions, null);
        }
        catch (EmulationFault fault)
        {
            string what = fault.Access switch
            {
                AccessKind.Read => "read-fault",
                AccessKind.Write => "write-fault",
                AccessKind.Execute => "fetch-fault",
                _ => "fault",
            };
            ulong pc = fault.ProgramCounter & ~1UL;
            // A fetch fault's PC is where the jump went (0 for every call through a null pointer): the return address, the
            // link register, tells the call sites apart.
            string caller = fault.Access == AccessKind.Execute && LinkRegister(_machine) is int link and >= 0
                ? $"-from-0x{_machine.Registers.Read(link) & ~1UL:x8}" : "";
            return new FuzzRun(FuzzRunKind.Crash, fault.Message, pc, _machine.Instructions, $"{what}@0x{pc:x8}{caller}");
        }
    }

    // The register a call leaves its return address in: lr on Arm, ra on RISC-V; -1 where there is none.
    private static int LinkRegister(FirmwareMachine machine) => machine.Registers.IndexOf("lr") is >= 0 and var lr ? lr : machine.Registers.IndexOf("ra");

    /// <summary>Releases the machine and its snapshot.</summary>
    public void Dispose()
    {
        _machine.TraceEdges(0, 0);
        _snapshot.Dispose();
        _machine.Dispose();
    }

    private nint OwnMap => Marshal.UnsafeAddrOfPinnedArrayElement(_ownMap, 0);
}
