using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Devices;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Mmio;
using MemGate.Snapshots;
using MemGate.Snapshots.Files;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate run [FIRMWARE] --device DEVICE</c>: loads an image (or runs what the device's files load) and runs it on Unicorn on MemGate memory; UART output to stdout.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliInput? input = null)
    {
        var firmware = new Argument<string?>("firmware")
        {
            Description = "An ELF, Intel HEX or S-record image (raw binaries need --address); none when the device's regions load the firmware from their files (Fuzzware and HALucinator imports).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var device = new Option<string?>("--device", "-d") { Description = "A template name or device file: Cortex-M3/M4 (STM32F103, STM32F407, STM32F429), RV32/RV64 virt, CortexA53 virt (required unless --from-snapshot)." };
        var address = new Option<string?>("--address") { Description = "Load address of a raw binary." };
        var maxInstructions = new Option<ulong>("--max-instructions") { Description = "Stop after this many instructions (0: no limit).", DefaultValueFactory = _ => 0 };
        var timeout = new Option<double>("--timeout") { Description = "Stop after this many seconds of wall time (0: no limit).", DefaultValueFactory = _ => 0 };
        var traceMmio = new Option<string?>("--trace-mmio") { Description = "Write every peripheral access as a JSON line to this file." };
        var runs = new Option<int>("--runs") { Description = "Run this many times, restoring guest memory from a snapshot taken after loading between runs (only the pages written are copied back).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print each run's summary (or fault) as one JSON line on stderr (JSON Lines); stdout stays the firmware's." };
        var mmioInput = new Option<string?>("--mmio-input") { Description = "Serve unmodelled reads of mmio regions whose policy is 'input' (Fuzzware imports; on other devices, every unmodelled register, as memgate fuzz does) from this file's bytes (a pipe or /dev/null too), in order; the run ends with 'input exhausted' when they run out." };
        var inputTimeout = new Option<ulong?>("--input-timeout")
        {
            Description = "With --mmio-input: end the run ('input timeout', exit 123) after this many basic blocks in a row that read no input, as Fuzzware's fuzz consumption timeout (0: none). " +
                $"Default: the device's [limits] input_timeout, else {DeviceLimits.FuzzwareInputTimeout:N0} (Fuzzware's).",
        };
        var maxBlocks = new Option<ulong?>("--max-blocks")
        {
            Description = "End the run ('block limit', exit 121) after this many basic blocks, as Fuzzware's translation block limit (0: none). Default: the device's [limits] blocks, else none.",
        };
        var maxInterrupts = new Option<ulong?>("--max-interrupts")
        {
            Description = "End the run ('interrupt limit', exit 128) at this many interrupts taken (SysTick's not counted), before its handler, as Fuzzware's interrupt limit (0: none). Default: the device's [limits] interrupts, else none.",
        };
        var guestFaults = new Option<string?>("--guest-faults")
        {
            Description = "end: a guest fault (refused access, undefined instruction) ends the run (exit 120), as a Fuzzware run ends in a crash; deliver: the firmware's fault handlers take it. Default: end with --mmio-input, else deliver.",
        };
        guestFaults.AcceptOnlyFromAmong("end", "deliver");
        var stopAt = new Option<string[]>("--stop-at") { Description = "End the run when execution reaches this symbol or address (before it runs); exit 0, reason 'reached NAME'. May be given more than once.", AllowMultipleArgumentsPerToken = false };
        var coverage = new Option<string?>("--coverage") { Description = "Write the start address of every basic block executed to this file, one hex address per line (sorted), or as drcov (see --coverage-format); the summary counts them." };
        var coverageFormat = new Option<string?>("--coverage-format") { Description = "text (one hex address per line) or drcov (DynamoRIO's format, for Lighthouse and other disassembler plug-ins); default: drcov for a file ending in .drcov, else text." };
        coverageFormat.AcceptOnlyFromAmong("text", "drcov");
        var gdb = new Option<string?>("--gdb") { Description = "Serve GDB's remote protocol on [HOST:]PORT (default host 127.0.0.1; QEMU's tcp::PORT works too): 'target remote :PORT' in gdb-multiarch." };
        var gdbWait = new Option<bool>("--gdb-wait") { Description = "With --gdb: stop at the reset vector until a debugger attaches (QEMU's -S); otherwise the firmware runs until one does." };
        var gdbContinue = new Option<bool>("--gdb-continue-on-detach") { Description = "With --gdb: when the debugger detaches or disconnects, let the firmware run on, and let another debugger attach (otherwise the run ends there, exit code 130)." };
        var saveSnapshot = new Option<string?>("--save-snapshot") { Description = "Run until --at, write the machine's complete state (memory, CPU, peripherals, device) to this snapshot file, and end (exit 0)." };
        var at = new Option<string?>("--at") { Description = "With --save-snapshot: where to take it, an instruction count (e.g. 150000; 0: before the first) or a symbol or address (0x...) reached." };
        var fromSnapshot = new Option<string?>("--from-snapshot") { Description = "Start from a snapshot file instead of reset: the device and memory come from the file (FIRMWARE, if given, only for its symbols)." };
        var shared = new Option<bool>("--shared-memory") { Description = "Back guest RAM and flash with memfds and print how other processes can map them live (memgate ps link)." };
        var command = new Command("run", "Load firmware into a device and run it on the Unicorn CPU engine; its UART prints here. " +
            "Exit code: the firmware's own (0-119; others become 119) when it exits; 120 guest fault, 122 MMIO input exhausted, 121 block limit, 123 input timeout, 124 timeout, 125 instruction limit, 126 idle, 128 interrupt limit, 130 Ctrl-C, 143 SIGTERM; 74 the host's I/O failed (output on a full disk); 1 bad input, 2 usage.")
        {
            firmware, device, address, maxInstructions, timeout, traceMmio, mmioInput, inputTimeout, maxBlocks, maxInterrupts, guestFaults, stopAt, coverage, coverageFormat, gdb, gdbWait, gdbContinue,
            saveSnapshot, at, fromSnapshot, shared, runs, json,
        };
        var consoleOptions = RunConsole.AddOptions(command);
        var dumpOptions = RunStateDump.AddOptions(command);
        var traceOptions = RunTraces.AddOptions(command);
        command.SetAction(parse => CommandErrors.Run("run", parse, error, () =>
        {
            FirmwareMachine.PrepareEngine();   // loads while the device and image are read
            var wall = OptionValue.Seconds("--timeout", parse.GetValue(timeout));
            int count = parse.GetValue(runs);
            if (count < 1)
            {
                throw new CommandUsageException($"--runs {count}: give 1 or more.");
            }
            string? gdbEndpoint = parse.GetValue(gdb);
            if (gdbEndpoint is null && (parse.GetValue(gdbWait) || parse.GetValue(gdbContinue)))
            {
                throw new CommandUsageException("--gdb-wait and --gdb-continue-on-detach go with --gdb [HOST:]PORT.");
            }
            if (gdbEndpoint is not null && (count > 1 || wall is not null || parse.GetValue(maxInstructions) > 0))
            {
                throw new CommandUsageException("--gdb: the debugger decides how far the firmware runs; --runs, --timeout and --max-instructions do not go with it.");
            }
            string? savePath = parse.GetValue(saveSnapshot), atPoint = parse.GetValue(at), startFile = parse.GetValue(fromSnapshot);
            if (atPoint?[0] is '-' or '+')
            {
                throw new CommandUsageException($"--at {atPoint}: give an instruction count, or a symbol or address (0x...).");
            }
            // A plain number is an instruction count; 0x... is an address, anything else a symbol.
            bool atCount = atPoint is not null && char.IsAsciiDigit(atPoint[0]) && !atPoint.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if ((savePath is null) != (atPoint is null))
            {
                throw new CommandUsageException("--save-snapshot FILE and --at INSTRUCTIONS|SYMBOL go together: where to take the snapshot, and where to write it.");
            }
            if (savePath is not null && (count > 1 || gdbEndpoint is not null))
            {
                throw new CommandUsageException("--save-snapshot: the run ends at --at; --runs and --gdb do not go with it.");
            }
            if (startFile is null && parse.GetValue(device) is null)
            {
                throw new CommandUsageException("Give --device DEVICE (a template name or device file), or --from-snapshot FILE.");
            }
            var mmio = parse.GetValue(mmioInput) is { } inputPath ? new MmioInput(InputFile.ReadAllBytesOrStream(inputPath, "MMIO input")) : null;
            using var snapshotFile = startFile is not null ? SnapshotFile.Open(startFile) : null;
            var (description, baseDirectory) = snapshotFile is not null ? SnapshotDevice(snapshotFile, parse.GetValue(device), error) : DeviceSource.Load(parse.GetValue(device)!, error);
            OutputPaths.Check(
                [
                    ("--save-snapshot", savePath), ("--coverage", parse.GetValue(coverage)), ("--trace-mmio", parse.GetValue(traceMmio)),
                    ("--trace-instructions", parse.GetValue(traceOptions.Instructions)), ("--trace-blocks", parse.GetValue(traceOptions.Blocks)),
                    ("--trace-exceptions", parse.GetValue(traceOptions.Exceptions)),
                    .. (parse.GetValue(dumpOptions.Memory) ?? []).Select(spec => ("--dump-memory", spec.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon && colon < spec.Length - 1 ? spec[(colon + 1)..] : null)),
                ],
                [
                    parse.GetValue(firmware), parse.GetValue(device), parse.GetValue(mmioInput), startFile, parse.GetValue(consoleOptions.InputFile),
                    .. DeviceSource.InputFiles(description, baseDirectory),
                ]);
            ulong? raw = parse.GetValue(address) is { } text ? OptionValue.Address("--address", text) : null;
            var image = snapshotFile is not null ? SnapshotImage(parse.GetValue(firmware), snapshotFile, description, raw, error) : FirmwareSource.Load(parse.GetValue(firmware), description, raw);
            string? lostFirmware = image is null ? snapshotFile?.Header.Firmware?.Path : null;   // recorded, but gone or changed since
            if (mmio is not null)
            {
                description = description.ForMmioInput();   // as `memgate fuzz` ran it
            }
            if (mmio is null && description.Regions.FirstOrDefault(r => r.Type == DeviceRegionType.Mmio && (r.Unmodelled ?? description.Unmodelled) == UnmodelledPolicy.Input) is { } fed)
            {
                throw new CommandUsageException($"Device '{description.Name}' serves unmodelled reads of region '{fed.Name}' from MMIO input (Fuzzware's model): give one with --mmio-input FILE.");
            }
            var dump = RunStateDump.Open(parse, dumpOptions, description);
            using var console = RunConsole.Open(parse, consoleOptions, input ?? CliInput.None);
            using var traces = RunTraces.Open(parse, traceOptions);
            using var trace = parse.GetValue(traceMmio) is { } path ? MmioTrace.ToFile(path) : null;
            var machineOptions = new FirmwareMachineOptions
            {
                BaseDirectory = baseDirectory,
                Trace = trace,
                ErrorOutput = error,
                Backing = parse.GetValue(shared) ? SharedMemoryBackingProvider.Instance : null,
                MmioInput = mmio,
                SerialOutputs = console.Outputs,
            };
            using var machine = snapshotFile is not null
                ? FirmwareMachine.FromSnapshotFile(snapshotFile, output, machineOptions, description)
                : FirmwareMachine.Create(description, output, machineOptions);
            if (image is not null && startFile is null)
            {
                machine.Load(image);
            }
            // The command line wins; then the device's [limits] (imports carry Fuzzware's); then Fuzzware's default. Set before an --at 0 save,
            // which keeps the input window only while a timeout watches it.
            machine.InputTimeout = parse.GetValue(inputTimeout) ?? machine.Memory.Device.Limits.InputTimeoutOrFuzzware;
            machine.BlockLimit = parse.GetValue(maxBlocks) ?? machine.BlockLimit;
            machine.InterruptLimit = parse.GetValue(maxInterrupts) ?? machine.InterruptLimit;
            machine.FaultsEndRun = (parse.GetValue(guestFaults) ?? (mmio is not null ? "end" : "deliver")) == "end";
            ulong limit = parse.GetValue(maxInstructions);
            ulong atInstructions = 0;
            if (atPoint is not null)
            {
                if (atCount)
                {
                    atInstructions = ulong.TryParse(atPoint, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ? n
                        : throw new CommandUsageException($"--at {atPoint}: give an instruction count from 0 to {ulong.MaxValue}, or a symbol or address (0x...).");
                    if (atInstructions == 0)
                    {
                        // Before the first instruction (a symbol reached at once saves there too): the CPU as reset leaves it,
                        // or as the snapshot file left it; nothing runs.
                        if (startFile is null)
                        {
                            machine.ResetHalted();
                        }
                        return SaveSnapshot(0, 0, 0);
                    }
                    limit = limit > 0 ? Math.Min(limit, atInstructions) : atInstructions;   // a smaller --max-instructions ends the run first
                }
                else
                {
                    machine.StopAt(StopAddress("--at", atPoint, image, description, lostFirmware), atPoint);
                }
            }
            foreach (string point in parse.GetValue(stopAt) ?? [])
            {
                machine.StopAt(StopAddress("--stop-at", point, image, description, lostFirmware), point);
            }
            string? coverageFile = parse.GetValue(coverage);
            if (coverageFile is not null)
            {
                machine.CollectCoverage();
            }
            void WriteCoverage()
            {
                if (coverageFile is null)
                {
                    return;
                }
                bool drcov = (parse.GetValue(coverageFormat) ?? (coverageFile.EndsWith(".drcov", StringComparison.OrdinalIgnoreCase) ? "drcov" : "text")) == "drcov";
                if (drcov)
                {
                    // The module is named as the disassembler knows the code: the image run, else the one file the device's
                    // executable regions load (an import's firmware.bin).
                    string? module = parse.GetValue(firmware) is { } imagePath ? Path.GetFileName(imagePath)
                        : description.Regions.Where(r => r.InitFile is not null && (r.Permissions & Memory.Permissions.Execute) != 0)
                            .Select(r => Path.GetFileName(r.InitFile!)).Distinct(StringComparer.Ordinal).ToList() is [var only] ? only : null;
                    OutputFile.Write(coverageFile, stream => Fuzzing.DrcovCoverage.Write(stream, machine.CoveredBlockSizes, machine.Memory.Main.Regions, module));
                }
                else
                {
                    OutputFile.WriteAllText(coverageFile, string.Concat(machine.CoveredBlocks.Order().Select(a => $"0x{a:x}\n")));
                }
            }
            if (parse.GetValue(shared))
            {
                var rows = machine.Memory.Main.Regions.Where(r => r.HasHostMemory).Select(region =>
                {
                    nint host = machine.Memory.Main.Translate(region.Start);
                    return new SharedRegionRow(region.Name, region.Start.Value, region.Size, Environment.ProcessId, (ulong)host,
                        $"memgate ps link --source {Environment.ProcessId} --address 0x{host:x} --size {region.Size} --target PID");
                }).ToList();
                // With --json one JSON line, as the runs' (text there broke reading stderr as JSON Lines).
                if (parse.GetValue(json))
                {
                    error.WriteLine(JsonSerializer.Serialize(new SharedMemoryReport("run", rows), CliJsonLinesContext.Output.SharedMemoryReport));
                }
                else
                {
                    foreach (var row in rows)
                    {
                        error.WriteLine($"memgate run: {row.Region} (guest 0x{row.Guest:X8}, {ByteSize.Human(row.Size)}) is shared: {row.Link}");
                    }
                }
            }
            traces.Start(machine, description, error);
            // Ctrl-C and Ctrl-A x stop the run and every one still to come (--runs); the summary still prints and the memory is released.
            using var interrupt = new CancellationTokenSource();
            console.Connect(machine, error, interrupt.Cancel);   // last: a terminal goes raw only once nothing else can fail
            // Between runs: memory (runs from reset); or the whole machine (runs from a snapshot file).
            using var snapshot = count > 1 && startFile is null ? GuestSnapshot.Take(machine.Memory.Main) : null;
            using var machineSnapshot = count > 1 && startFile is not null ? machine.TakeSnapshot() : null;
            using var debugger = gdbEndpoint is not null ? RunDebugger.Listen(gdbEndpoint, parse.GetValue(gdbWait), parse.GetValue(gdbContinue), resume: startFile is not null, error) : null;
            int status = CliApp.Success;
            bool asJson = parse.GetValue(json);
            using var stopDebugger = interrupt.Token.Register(() => debugger?.Cancel());   // the debugger's runs take no token
            using var signals = new StopSignals(interrupt.Cancel);
            for (int run = 1; run <= count; run++)
            {
                if (run > 1 && interrupt.IsCancellationRequested)
                {
                    status = signals.ExitCode;   // the last run may have ended by itself as the request came
                    if (!asJson)
                    {
                        error.WriteLine($"memgate run: interrupted after {run - 1:N0} of {count:N0} runs");
                    }
                    break;
                }
                if (run > 1)
                {
                    mmio?.Rewind();   // each run reads the input from its start: a snapshot holds registers, not the input's position
                }
                SnapshotRestore? restore = run == 1 ? null : machineSnapshot is not null ? machine.Restore(machineSnapshot) : snapshot!.Restore();
                RunResult result;
                try
                {
                    result = debugger is not null ? debugger.Run(machine) : startFile is not null ? machine.Continue(limit, wall, interrupt.Token) : machine.Run(limit, wall, interrupt.Token);
                }
                catch (EmulationFault fault)
                {
                    output.Flush();
                    ulong instructions = debugger?.Instructions ?? machine.Instructions;   // under a debugger, the whole session's
                    string? function = image?.SymbolAt(fault.ProgramCounter & ~1UL)?.Name
                        ?? description.Symbols.Where(s => s.Address <= (fault.ProgramCounter & ~1UL)).MaxBy(s => s.Address)?.Name;
                    string unsaved = savePath is not null ? $"; before --at {atPoint}: no snapshot written" : "";
                    error.WriteLine(asJson
                        ? JsonSerializer.Serialize(new RunReport(description.Name, description.Cpu, "fault", fault.Message + unsaved, null, CliApp.GuestFault, instructions, null, null,
                            new RunFaultReport(fault.Message, fault.ProgramCounter, function, fault.Address, fault.Access?.ToString()), restore?.Pages), CliJsonLinesContext.Output.RunReport)
                        : $"memgate run: {description.Name} ({description.Cpu}), after {Instructions(instructions)}: {fault.Message}" +
                          $"{(function is not null ? $" (in {function})" : "")} (exit code {CliApp.GuestFault}){unsaved}");
                    WriteCoverage();
                    machine.FlushTraces();
                    dump.Write(machine, error, asJson);
                    return CliApp.GuestFault;
                }
                catch (IOException failed)
                {
                    try
                    {
                        output.Flush();
                    }
                    catch (IOException)
                    {
                        // the output that failed: said below
                    }
                    string unsaved = savePath is not null ? $"; before --at {atPoint}: no snapshot written" : "";
                    error.WriteLine(asJson
                        ? JsonSerializer.Serialize(new RunReport(description.Name, description.Cpu, "host-error", failed.Message + unsaved, null, CliApp.HostIOError,
                            machine.Instructions, null, null, null, restore?.Pages), CliJsonLinesContext.Output.RunReport)
                        : $"memgate run: {description.Name} ({description.Cpu}), {failed.Message} (exit code {CliApp.HostIOError}){unsaved}");
                    try
                    {
                        WriteCoverage();
                        machine.FlushTraces();
                        dump.Write(machine, error, asJson);
                    }
                    catch (Exception e) when (e is IOException or MemGateException)
                    {
                        // The host's I/O again (the same full disk, a trace file that failed): the run's code stays 74.
                        error.WriteLine($"memgate run: {e.Message}");
                    }
                    return CliApp.HostIOError;
                }
                output.Flush();
                status = result.Outcome == RunOutcome.Interrupted ? signals.ExitCode : ExitStatus(result);
                if (savePath is not null)
                {
                    bool there = atCount ? result.Outcome == RunOutcome.InstructionLimit && result.Instructions == atInstructions : result.Outcome == RunOutcome.Reached;
                    if (!there)
                    {
                        int code = status == CliApp.Success ? CliApp.InvalidInput : status;
                        string why = $"the run ended ({result.Reason}) after {Instructions(result.Instructions)}, before --at {atPoint}: no snapshot written";
                        error.WriteLine(asJson
                            ? JsonSerializer.Serialize(new RunReport(description.Name, description.Cpu, OutcomeName(result.Outcome), why, result.ExitCode, code, result.Instructions,
                                Math.Round(result.Elapsed.TotalMilliseconds, 3), Math.Round(result.Mips, 3), null, null), CliJsonLinesContext.Output.RunReport)
                            : $"memgate run: {why}.");
                        return code;
                    }
                    return SaveSnapshot(result.Instructions, result.Elapsed.TotalMilliseconds, result.Mips);
                }
                string restored = restore is null ? "" : $", after restoring {restore.Pages} page(s) in {restore.Elapsed.TotalMicroseconds:0} µs";
                int? blocks = coverageFile is null ? null : machine.CoveredBlocks.Count;
                string covered = blocks is { } n ? $", {n:N0} blocks covered" : "";
                error.WriteLine(asJson
                    ? JsonSerializer.Serialize(new RunReport(description.Name, description.Cpu, OutcomeName(result.Outcome), result.Reason, result.ExitCode, status, result.Instructions,
                        Math.Round(result.Elapsed.TotalMilliseconds, 3), Math.Round(result.Mips, 3), null, restore?.Pages) { Blocks = blocks }, CliJsonLinesContext.Output.RunReport)
                    : $"memgate run: {description.Name} ({description.Cpu}), {result.Reason}{(result.ExitCode is { } c ? $" with code {c}" : "")} in {result.Elapsed.TotalMilliseconds:0.0} ms, " +
                        $"{Instructions(result.Instructions)}, {result.Mips:0.0} MIPS{covered}{restored}{(result.Outcome is RunOutcome.Exit or RunOutcome.Reached ? "" : $" (exit code {status})")}");
            }
            WriteCoverage();
            machine.FlushTraces();
            dump.Write(machine, error, asJson);
            return status;

            int SaveSnapshot(ulong instructions, double milliseconds, double mips)
            {
                machine.SaveSnapshotFile(savePath!, image is null ? null : new SnapshotFirmware(Path.GetFullPath(image.File), FileHash(image.File)));
                string saved = ShellCommand.Word(Path.GetFullPath(savePath!));   // the hint's commands work from any folder
                error.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new RunReport(description.Name, description.Cpu, "snapshot", $"snapshot saved to {savePath}", null, CliApp.Success, instructions,
                        Math.Round(milliseconds, 3), Math.Round(mips, 3), null, null), CliJsonLinesContext.Output.RunReport)
                    : $"memgate run: {description.Name} ({description.Cpu}), snapshot saved to {savePath} after {Instructions(instructions)}, at PC 0x{machine.ProgramCounter:X8}; " +
                      $"go on with: {ShellCommand.Memgate} run --from-snapshot {saved}{(mmio is not null ? " --mmio-input FILE" : "")}" +
                      (mmio is not null ? $", or fuzz from there: {ShellCommand.Memgate} fuzz --from-snapshot {saved} --corpus DIR" : ""));
                return CliApp.Success;
            }
        }));
        return command;
    }

    /// <summary>"1 instruction", "5,171 instructions".</summary>
    internal static string Instructions(ulong count) => count == 1 ? "1 instruction" : $"{count:N0} instructions";

    // The device of a snapshot file; one named with --device (a template or a device file, read as any other) must be
    // the same device. The snapshot's own description is the one used.
    private static (DeviceDescription, string?) SnapshotDevice(SnapshotFile file, string? named, TextWriter error)
    {
        var device = FirmwareMachine.ReadSnapshotDevice(file);
        CheckSnapshotDevice(named, device, file.Path, error);
        return (device, null);   // the folder the snapshot recorded
    }

    /// <summary>Throws unless <paramref name="named"/> (--device, if given) is the device the snapshot file at <paramref name="path"/> was taken of.</summary>
    internal static void CheckSnapshotDevice(string? named, DeviceDescription device, string path, TextWriter error)
    {
        if (named is not null && DeviceSource.Load(named, error).Device is var given && !given.Name.Equals(device.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandInputException($"--device {named} is device '{given.Name}', but snapshot file '{path}' was taken of device '{device.Name}'.");
        }
    }

    // The image whose symbols a run from a snapshot file uses: the one given, else the one the snapshot recorded if it is still there unchanged.
    private static FirmwareImage? SnapshotImage(string? given, SnapshotFile snapshot, DeviceDescription device, ulong? raw, TextWriter error)
    {
        if (given is not null)
        {
            // Only its symbols are used, but an image for another CPU or memory map is not the snapshot's firmware.
            var image = FirmwareReader.Load(given, rawAddress: raw);
            image.CheckRunsOn(device);
            if (snapshot.Header.Firmware is { } taken && FileHash(given) != taken.Sha256)
            {
                error.WriteLine($"memgate run: warning: {given} is not the firmware the snapshot was taken with ({taken.Path}, SHA-256 {(taken.Sha256 is { Length: > 12 } sha ? sha[..12] + "…" : taken.Sha256)}): " +
                    "its symbols may not match the memory.");
            }
            return image;
        }
        if (raw is not null)
        {
            throw new CommandUsageException("--address: with --from-snapshot it goes with a raw FIRMWARE given for its symbols; none was given.");
        }
        if (snapshot.Header.Firmware is not { } recorded || !File.Exists(recorded.Path))
        {
            return null;
        }
        try
        {
            // Only a regular file that still has the recorded hash (a header naming /dev/zero is read no further).
            return FileHash(recorded.Path) == recorded.Sha256 ? FirmwareReader.Load(recorded.Path) : null;   // for its symbols only: a raw binary has none
        }
        catch (Exception e) when (e is FirmwareFormatException or MemGateException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string FileHash(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(InputFile.ReadAllBytes(path, "firmware file")));

    // A stop point: an address, or a symbol of the image or the device (as Fuzzware's exit_at takes either).
    /// <param name="lostFirmware">The firmware a snapshot recorded, when it is gone or changed (its symbols are missing).</param>
    internal static ulong StopAddress(string option, string point, FirmwareImage? image, DeviceDescription device, string? lostFirmware = null)
    {
        if (image?.Symbols.FirstOrDefault(s => s.Name == point) is { } symbol)
        {
            return symbol.Address;
        }
        if (device.Symbols.FirstOrDefault(s => s.Name == point) is { } known)
        {
            return known.Address;
        }
        if (char.IsAsciiDigit(point[0]))
        {
            ulong address = OptionValue.Address(option, point);
            if (!device.Regions.Any(r => r.Space == device.Spaces[0].Name && address >= r.Start && address <= r.Last))   // the CPU's space
            {
                throw new CommandInputException($"{option} {point}: no region of device '{device.Name}' holds that address, so the CPU never runs code there.");
            }
            return address;
        }
        var names = (image?.Symbols.Select(s => s.Name) ?? []).Concat(device.Symbols.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToList();
        string hint = lostFirmware is not null
            ? $" (the snapshot's firmware {lostFirmware} is gone, has changed since or has no symbols: give that build as FIRMWARE for its symbols, or give an address)."
            : names.Count == 0 ? " (neither has symbols; give an address)." : "." + NameSuggestion.DidYouMean(point, names);
        throw new CommandInputException($"{option} {point}: no symbol of that name in the image or the device{hint}");
    }

    /// <summary>memgate's exit code for a run that ended without a fault: see <see cref="CliApp.FirmwareExitLimit"/>.</summary>
    internal static int ExitStatus(RunResult result) => result.Outcome switch
    {
        RunOutcome.Exit => result.ExitCode is >= 0 and <= CliApp.FirmwareExitLimit ? result.ExitCode.Value : CliApp.FirmwareExitLimit,
        RunOutcome.InstructionLimit => CliApp.InstructionLimit,
        RunOutcome.Timeout => CliApp.Timeout,
        RunOutcome.Idle => CliApp.Idle,
        RunOutcome.InputExhausted => CliApp.InputExhausted,
        RunOutcome.InputTimeout => CliApp.InputTimeout,
        RunOutcome.BlockLimit => CliApp.BlockLimit,
        RunOutcome.InterruptLimit => CliApp.InterruptLimit,
        RunOutcome.Reached => CliApp.Success,
        _ => CliApp.Interrupted,
    };

    internal static string OutcomeName(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Exit => "exit",
        RunOutcome.InstructionLimit => "instruction-limit",
        RunOutcome.Timeout => "timeout",
        RunOutcome.Idle => "idle",
        RunOutcome.InputExhausted => "input-exhausted",
        RunOutcome.InputTimeout => "input-timeout",
        RunOutcome.BlockLimit => "block-limit",
        RunOutcome.InterruptLimit => "interrupt-limit",
        RunOutcome.Reached => "reached",
        _ => "interrupted",
    };
}
