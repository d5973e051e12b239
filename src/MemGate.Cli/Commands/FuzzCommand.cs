using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Fuzzing;
using MemGate.Snapshots;
using MemGate.Snapshots.Files;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate fuzz [FIRMWARE] --device DEVICE --corpus DIR</c>: a coverage-guided fuzzing campaign on MMIO input, or (<c>--afl</c>) a target for afl-fuzz.</summary>
internal static class FuzzCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var firmware = new Argument<string?>("firmware")
        {
            Description = "An ELF, Intel HEX or S-record image; none when the device's regions load the firmware (imports).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var device = new Option<string?>("--device", "-d") { Description = "A template name or device file (required unless --from-snapshot)." };
        var fromSnapshot = new Option<string?>("--from-snapshot") { Description = "Start every run from this snapshot file (memgate run --save-snapshot) instead of reset; the device comes from the file." };
        var corpus = new Option<string?>("--corpus") { Description = "Folder of starting inputs; inputs that find new coverage are added to it (required unless --afl)." };
        var crashes = new Option<string>("--crashes") { Description = "Folder for one input per distinct crash (fault kind and PC), and for each hang that reached an edge no saved hang did.", DefaultValueFactory = _ => "crashes" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads, each with its own machine; they share one copy of the firmware's flash.", DefaultValueFactory = _ => 1 };
        var runs = new Option<ulong>("--runs") { Description = "Stop after this many runs (0: no limit). The corpus's inputs are run first and count: a corpus of more inputs still runs whole, as AFL's first pass does.", DefaultValueFactory = _ => 0 };
        var duration = new Option<double>("--duration") { Description = "Stop after this many seconds (0: no limit; Ctrl-C stops too).", DefaultValueFactory = _ => 0 };
        var startAt = new Option<string?>("--start-at") { Description = "Run from reset to this symbol or address with no input, snapshot there, and start every run from it (skips boot code); the snapshot is written to the crashes folder as start-SYMBOL.mgsnap, which the printed replays start from." };
        var prefixInput = new Option<string?>("--prefix-input")
        {
            Description = "MMIO input the way to the start point reads, as Fuzzware's --prefix-input: with --start-at, the way there reads it; " +
                "without, runs start where it runs out (before the instruction that reads past it). The start is saved as with --start-at.",
        };
        var maxInstructions = new Option<ulong>("--max-instructions")
        {
            Description = $"Instruction limit of one run; a run that reaches it is a hang (default {FuzzTargetOptions.DefaultMaxInstructions:N0}).",
            DefaultValueFactory = _ => FuzzTargetOptions.DefaultMaxInstructions,
        };
        var maxBlocks = new Option<ulong?>("--max-blocks")
        {
            Description = "Basic-block limit of one run, as Fuzzware's translation block limit; a run that reaches it ends normally, as in Fuzzware (0: none). Default: the device's [limits] blocks, else none.",
        };
        var inputTimeout = new Option<ulong?>("--input-timeout")
        {
            Description = "End a run normally after this many basic blocks in a row that read no input, as Fuzzware's consumption timeout (0: none). " +
                "Default: the device's [limits] input_timeout, else Fuzzware's 150,000.",
        };
        var maxInterrupts = new Option<ulong?>("--max-interrupts")
        {
            Description = "Interrupt limit of one run (SysTick's not counted): the run ends before the handler of the one reaching it, a normal end as in Fuzzware, not a hang (0: none). " +
                "Default: the device's [limits] interrupts, else none.",
        };
        var maxLength = new Option<int>("--max-length")
        {
            Description = $"The longest input a mutation makes, in bytes (default and most: {FuzzCampaign.MaxSeedLength:N0}, AFL++'s limit).",
            DefaultValueFactory = _ => FuzzCampaign.MaxSeedLength,
        };
        var seed = new Option<int?>("--random") { Description = "Where the mutators' random numbers start (with --jobs 1, the same number repeats a campaign)." };
        var json = new Option<bool>("--json") { Description = "Report as JSON Lines on stderr: status lines (event status, then final), each crash and hang saved, warnings and failures." };
        var afl = new Option<bool>("--afl") { Description = "Serve afl-fuzz's fork-server protocol and coverage map instead of fuzzing here; each run's input is AFL's test case on stdin." };
        var command = new Command("fuzz", "Fuzz firmware through its MMIO input: unmodelled peripheral reads take bytes from each input (Fuzzware's models where the device was imported). " +
            "Runs restore a snapshot (written pages only) and count edges in the engine. Exit code: 0 no crash found, 120 crashes found, 130 stopped with Ctrl-C, 143 with SIGTERM; 1 bad input, 2 usage.")
        {
            firmware, device, fromSnapshot, corpus, crashes, jobs, runs, duration, startAt, prefixInput, maxInstructions, maxBlocks, maxInterrupts, inputTimeout, maxLength, seed, json, afl,
        };
        command.SetAction(parse => CommandErrors.Run("fuzz", parse, error, () =>
        {
            FirmwareMachine.PrepareEngine();   // loads while the device and image are read
            bool underAfl = parse.GetValue(afl);
            bool asJson = parse.GetValue(json);
            // A warning: a line of text, or with --json one JSON line as every command writes warnings.
            void Warn(string message, string? file = null)
            {
                lock (error)
                {
                    error.WriteLine(asJson
                        ? JsonSerializer.Serialize(new WarningReport("fuzz", [new DiagnosticRow(file, null, null, null, "warning", message)]), CliJsonLinesContext.Output.WarningReport)
                        : $"memgate fuzz: warning: {message}");
                }
            }
            if (parse.GetValue(maxLength) is < 1 or > FuzzCampaign.MaxSeedLength)
            {
                throw new CommandUsageException($"--max-length {parse.GetValue(maxLength)}: give 1 to {FuzzCampaign.MaxSeedLength:N0} bytes.");
            }
            string? corpusDirectory = parse.GetValue(corpus);
            if (!underAfl && corpusDirectory is null)
            {
                throw new CommandUsageException("Give --corpus DIR (starting inputs; new ones are added there), or --afl to run under afl-fuzz.");
            }
            if (underAfl)
            {
                // afl-fuzz schedules the runs and keeps the corpus and crashes (-i, -o, -M/-S for more workers): these would do nothing.
                var ignored = new Option[] { corpus, crashes, jobs, runs, duration, seed }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0)
                {
                    throw new CommandUsageException($"--afl: afl-fuzz decides the inputs, the runs and where crashes go (its -i, -o, -V, -M/-S); {string.Join(", ", ignored)} {(ignored.Count == 1 ? "does" : "do")} not go with it.");
                }
            }
            // Each job is a machine with its own memory, engine and thread: past a few per core they only cost memory.
            const int maxJobs = 256;
            int jobCount = parse.GetValue(jobs);
            if (jobCount < 1 || jobCount > maxJobs)
            {
                throw new CommandUsageException($"--jobs {jobCount}: give 1 to {maxJobs} (one per core is usual; this machine has {Environment.ProcessorCount}).");
            }
            if (jobCount > 1 && parse.GetValue(seed) is not null)
            {
                // Each worker's numbers start from it, but the workers share the corpus in the order the machine schedules them.
                Warn($"--random repeats a campaign only with --jobs 1; with --jobs {jobCount} the workers' shared corpus grows in whatever order they run.");
            }
            var durationLimit = OptionValue.Seconds("--duration", parse.GetValue(duration));
            foreach (var (option, folder) in (ReadOnlySpan<(string, string?)>)[("--corpus", corpusDirectory), ("--crashes", parse.GetValue(crashes))])
            {
                if (folder is not null && File.Exists(folder))
                {
                    throw new CommandInputException($"{option} {folder}: that is a file; give a folder (it is created if missing).");
                }
                // A missing folder is made, which a file on the way there prevents.
                for (string? up = folder is null ? null : Path.GetDirectoryName(Path.GetFullPath(folder)); up is not null && !Directory.Exists(up); up = Path.GetDirectoryName(up))
                {
                    if (File.Exists(up))
                    {
                        throw new CommandInputException($"{option} {folder}: '{up}' is a file, so the folder cannot be made there.");
                    }
                }
            }
            if (!underAfl && OutputPaths.SameFile(corpusDirectory!, parse.GetValue(crashes)!))
            {
                throw new CommandUsageException($"--crashes {parse.GetValue(crashes)}: that is the --corpus folder; crashing inputs would be run again as corpus entries. Give another folder.");
            }
            if (parse.GetValue(maxInstructions) == 0)
            {
                throw new CommandUsageException("--max-instructions 0: a fuzzing run needs a limit (a run that reaches it is a hang).");
            }
            string? startFile = parse.GetValue(fromSnapshot);
            string? firmwarePath = parse.GetValue(firmware);
            if (startFile is not null && (firmwarePath is not null || parse.GetValue(startAt) is not null || parse.GetValue(prefixInput) is not null))
            {
                throw new CommandUsageException("--from-snapshot: the snapshot file holds the device, the firmware and where runs start; FIRMWARE, --start-at and --prefix-input do not go with it.");
            }
            if (startFile is null && parse.GetValue(device) is null)
            {
                throw new CommandUsageException("Give --device DEVICE (a template name or device file), or --from-snapshot FILE.");
            }
            // The run limits; a start from reset adds where the device's files are and where runs start.
            var targetOptions = new FuzzTargetOptions
            {
                MaxInstructions = parse.GetValue(maxInstructions), MaxBlocks = parse.GetValue(maxBlocks), MaxInterrupts = parse.GetValue(maxInterrupts), InputTimeout = parse.GetValue(inputTimeout),
            };
            DeviceDescription? description = null;
            FirmwareImage? image = null;
            if (startFile is not null)
            {
                // A bad file fails here, before any folder is touched; --device, if given, must be its device (as for memgate run).
                RunCommand.CheckSnapshotDevice(parse.GetValue(device), FirmwareMachine.ReadSnapshotDevice(startFile), startFile, error);
            }
            else
            {
                (description, string baseDirectory) = DeviceSource.Load(parse.GetValue(device)!, error);
                image = FirmwareSource.Load(firmwarePath, description);
                ulong? start = parse.GetValue(startAt) is { } point ? RunCommand.StopAddress("--start-at", point, image, description) : null;
                byte[]? prefix = parse.GetValue(prefixInput) is { } prefixFile ? InputFile.ReadAllBytesOrStream(prefixFile, "prefix input") : null;
                targetOptions = targetOptions with { BaseDirectory = baseDirectory, StartAt = start, StartInput = prefix };
            }
            FuzzTarget Target()
            {
                try
                {
                    return startFile is not null ? FuzzTarget.FromSnapshotFile(startFile, targetOptions) : FuzzTarget.Create(description!, image, targetOptions);
                }
                catch (InvalidOperationException e)
                {
                    throw new CommandInputException(parse.GetValue(startAt) is { } point ? $"--start-at {point}: {e.Message}" : $"--prefix-input {parse.GetValue(prefixInput)}: {e.Message}");
                }
            }
            // With --start-at, the start point becomes a snapshot file beside the crashes: the workers start from it, and each
            // printed replay (memgate run --from-snapshot) starts where the run did, its limits counted from there as in the campaign.
            string? startAtFile = null;
            string crashFolder = parse.GetValue(crashes)!;
            bool madeCrashFolder = false;   // here, for the start file: a campaign that then fails to start takes it away again
            if ((targetOptions.StartAt is not null || targetOptions.StartInput is not null) && !underAfl)
            {
                using (var booted = Target())
                {
                    madeCrashFolder = !Directory.Exists(crashFolder);
                    Directory.CreateDirectory(crashFolder);
                    // A name of its own: an earlier campaign's file in the same folder is what its saved replays start from.
                    string name = parse.GetValue(startAt) is { } point ? $"start-{FileNamePart(point)}" : "start-prefix";
                    startAtFile = Path.Combine(crashFolder, name + ".mgsnap");
                    for (int copy = 2; File.Exists(startAtFile); copy++)
                    {
                        startAtFile = Path.Combine(crashFolder, $"{name}-{copy}.mgsnap");
                    }
                    booted.Machine.SaveSnapshotFile(startAtFile, image is null ? null : new SnapshotFirmware(Path.GetFullPath(image.File), RunCommand.FileHash(image.File)));
                }
                startFile = startAtFile;
            }
            if (underAfl)
            {
                if (!AflForkServer.Available && !AflForkServer.SingleRun)
                {
                    throw new CommandUsageException("--afl: this is a target for afl-fuzz, e.g. AFL_SKIP_BIN_CHECK=1 afl-fuzz -i inputs -o out -- ./memgate fuzz FIRMWARE --device DEVICE --afl");
                }
                using var target = Target();
                using var stdin = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
                if (AflForkServer.SingleRun)
                {
                    // afl-showmap on one input (and other tools without the fork server): one run, a crash ends the process by SIGSEGV.
                    using var input = new MemoryStream();
                    stdin.CopyTo(input);
                    // A crash does not come back here (SIGSEGV), unless the signal could not end the process: then its exit code says it.
                    return AflForkServer.RunOnce(target, input.ToArray()) == FuzzRunKind.Crash ? CliApp.GuestFault : CliApp.Success;
                }
                AflForkServer.Serve(target, () =>
                {
                    stdin.Position = 0;   // AFL rewrites the file behind stdin for each run
                    using var bytes = new MemoryStream();
                    stdin.CopyTo(bytes);
                    return bytes.ToArray();
                });
                return CliApp.Success;
            }
            // Workers of one campaign keep the firmware's flash once (a sealed memfd each maps copy-on-write).
            using var sharedFlash = new SharedFlash();
            if (parse.GetValue(jobs) > 1 && startFile is null)
            {
                targetOptions = targetOptions with { SharedFlash = sharedFlash };
            }
            // Full paths, quoted for a shell: the command works from any folder, and is kept beside each input.
            string deviceName = parse.GetValue(device) ?? "";
            string replay = startFile is not null ? $"--from-snapshot {ShellCommand.Word(Path.GetFullPath(startFile))}"
                : $"{(firmwarePath is null ? "" : ShellCommand.Word(Path.GetFullPath(firmwarePath)) + " ")}--device {ShellCommand.Word(File.Exists(deviceName) ? Path.GetFullPath(deviceName) : deviceName)}";
            bool saved = false;
            // Limits given here end runs where the device's would not: the replay needs them too (memgate run takes the same options).
            string limits = (targetOptions.MaxBlocks is { } b ? $" --max-blocks {b}" : "") + (targetOptions.MaxInterrupts is { } i ? $" --max-interrupts {i}" : "")
                + (targetOptions.InputTimeout is { } t ? $" --input-timeout {t}" : "");
            var campaign = new FuzzCampaign(Target, new FuzzCampaignOptions
            {
                CorpusDirectory = corpusDirectory!,
                CrashDirectory = crashFolder,
                Jobs = jobCount,
                Runs = parse.GetValue(runs) is > 0 and var n ? n : null,
                Duration = durationLimit,
                Seed = parse.GetValue(seed) ?? Environment.TickCount,
                MaxInputLength = parse.GetValue(maxLength),
                ReplayCommand = (input, kind) => $"{ShellCommand.Memgate} run {replay} --mmio-input {ShellCommand.Word(Path.GetFullPath(input))}{limits}" +
                    (kind == FuzzRunKind.Hang ? $" --max-instructions {parse.GetValue(maxInstructions)}" : ""),
            });
            campaign.SeedSkipped += (path, why) => Warn($"corpus input {path}: {why}", path);
            bool live = !asJson && StandardStreams.IsTerminal(error);   // a status line kept up to date on a terminal; lines in a log
            campaign.CrashFound += crash =>
            {
                lock (error)
                {
                    saved = true;
                    bool hang = crash.Kind == FuzzRunKind.Hang;
                    if (asJson)
                    {
                        error.WriteLine(JsonSerializer.Serialize(new FuzzFindingReport("fuzz", hang ? "hang" : "crash", crash.Signature, crash.Reason, Path.GetFullPath(crash.File), crash.Replay),
                            CliJsonLinesContext.Output.FuzzFindingReport));
                        return;
                    }
                    error.WriteLine($"{(live ? "\r" : "")}memgate fuzz: {(hang ? "hang" : "crash")} {crash.Signature}: {crash.Reason}");
                    error.WriteLine($"  reproduce: {crash.Replay}");   // also in the .txt file beside the input
                }
            };
            using var cancel = new CancellationTokenSource();
            using var signals = new StopSignals(cancel.Cancel);
            FuzzStatus final;
            bool ran = false;
            string? logged = null;   // the last status line written to a log
            try
            {
                TimeSpan? last = null;
                if (!underAfl && corpusDirectory is not null && (!Directory.Exists(corpusDirectory) || !Directory.EnumerateFiles(corpusDirectory).Any()))
                {
                    // A mistyped folder would otherwise fuzz from nothing without a word (afl-fuzz refuses an empty -i).
                    Warn($"corpus folder '{corpusDirectory}' {(Directory.Exists(corpusDirectory) ? "is empty" : "does not exist; it is created")}: the campaign starts from one input of 16 zero bytes.", corpusDirectory);
                }
                final = campaign.Run(status =>
                {
                    // A live line on a terminal; in a log, the first status and then one line every ten seconds.
                    if (live || last is null || status.Elapsed - last >= TimeSpan.FromSeconds(10))
                    {
                        last = status.Elapsed;
                        lock (error)
                        {
                            logged = live ? null : Line(status);
                            error.Write(asJson ? StatusJson(status, "status") + "\n" : live ? $"\r{Line(status)}   " : $"memgate fuzz: {logged}\n");
                        }
                    }
                }, cancel.Token);
                ran = true;
            }
            finally
            {
                if (startAtFile is not null && !saved)
                {
                    File.Delete(startAtFile);   // no saved input replays from it
                    if (!ran && madeCrashFolder && !Directory.EnumerateFileSystemEntries(crashFolder).Any())
                    {
                        Directory.Delete(crashFolder);
                    }
                }
            }
            if (asJson)
            {
                error.WriteLine(StatusJson(final, "final"));
            }
            else if (logged != Line(final))
            {
                error.WriteLine($"{(live ? "\r" : "")}memgate fuzz: {Line(final)}");
            }
            return final.Crashes > 0 ? CliApp.GuestFault : cancel.IsCancellationRequested ? signals.ExitCode : CliApp.Success;
        }));
        return command;
    }

    // A symbol or address as part of a file name: anything but letters, digits, '.', '_' and '-' becomes '_'.
    private static string FileNamePart(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));

    private static string StatusJson(FuzzStatus status, string kind) => JsonSerializer.Serialize(new FuzzStatusReport("fuzz", kind, status.Runs,
        Math.Round(status.RunsPerSecond, 1), status.Edges, status.Corpus, status.Crashes, status.Hangs, Math.Round(status.Elapsed.TotalSeconds, 3)), CliJsonLinesContext.Output.FuzzStatusReport);

    private static string Line(FuzzStatus status) =>
        $"{status.Runs:N0} runs ({status.RunsPerSecond:N0}/s), {status.Edges:N0} edges, corpus {status.Corpus:N0}, {status.Crashes} crash(es), {status.Hangs:N0} hang(s), {status.Elapsed:hh\\:mm\\:ss}";

    // A word as a POSIX shell reads it back: as it is when it holds nothing the shell would take apart, else single-quoted.
}
