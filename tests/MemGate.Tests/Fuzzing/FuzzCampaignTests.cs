using MemGate.Cli;
using MemGate.Devices;
using MemGate.Firmware;
using MemGate.Fuzzing;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Fuzzing;

/// <summary>The fuzzing loop finds the planted bug from a seed that does not hold it, saves it once, and the printed command replays it.</summary>
public sealed class FuzzCampaignTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A corpus folder holding one seed input.
    private string Corpus(string seed)
    {
        string corpus = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "seed"), seed);
        return corpus;
    }

    [SkippableFact]
    public void TheCampaignFindsThePlantedCrashAndKeepsWhatFoundCoverage()
    {
        Requires.WriteTracking();
        string corpus = Path.Combine(_dir, "corpus"), crashes = Path.Combine(_dir, "crashes");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "seed"), "FAAA");
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        var campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = crashes, Seed = 7, Runs = 2_000_000, Jobs = 2 });
        using var stop = new CancellationTokenSource();
        campaign.CrashFound += _ => stop.Cancel();
        var status = campaign.Run(cancel: stop.Token);
        var crash = Assert.Single(campaign.Crashes);
        Assert.StartsWith("write-fault@", crash.Signature);
        Assert.Equal("FUZ!", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(crash.File))[..4]);
        Assert.True(status.Edges >= 5, $"{status.Edges} edges");
        Assert.True(Directory.GetFiles(corpus).Length >= 3, "inputs reaching 'FU' and 'FUZ' were kept");
    }

    // Two workers stop together at the run limit: none takes a run past it.
    [SkippableFact]
    public void ARunLimitIsExactWithSeveralJobs()
    {
        Requires.WriteTracking();
        string corpus = Corpus("AAAA");
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        var campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = Path.Combine(_dir, "crashes"), Seed = 7, Runs = 4000, Jobs = 2 });
        Assert.Equal(4000UL, campaign.Run().Runs);
    }

    // --json: every line on stderr is one JSON object, the finding with its input and replay, and a final status.
    [SkippableFact]
    public void With_json_the_campaign_reports_json_lines()
    {
        Requires.WriteTracking();
        string corpus = Corpus("FAAA");
        var (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", corpus, "--crashes", Path.Combine(_dir, "crashes"),
            "--runs", "200000", "--random", "3", "--json");
        Assert.Equal(120, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var crash = Assert.Single(lines, l => l.GetProperty("event").GetString() == "crash");
        Assert.StartsWith("write-fault@", crash.GetProperty("signature").GetString());
        Assert.True(File.Exists(crash.GetProperty("input").GetString()));
        Assert.Contains("--mmio-input", crash.GetProperty("replay").GetString());
        var final = lines[^1];
        Assert.Equal(("final", 200_000UL, 1), (final.GetProperty("event").GetString(), final.GetProperty("runs").GetUInt64(), final.GetProperty("crashes").GetInt32()));
    }

    // A second campaign on the same corpus numbers its new inputs after the first's: none of them is written over.
    [SkippableFact]
    public void A_resumed_campaign_never_writes_over_the_corpus()
    {
        Requires.WriteTracking();
        string corpus = Corpus("FAAA");
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        FuzzCampaign Campaign(int seed) => new(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = Path.Combine(_dir, "crashes"), Seed = seed, Runs = 3000 });
        Campaign(1).Run();
        var first = Directory.GetFiles(corpus).ToDictionary(f => f, File.ReadAllBytes);
        Assert.True(first.Count > 1);
        File.WriteAllText(Path.Combine(corpus, "seed"), "AAAA");   // another start: other inputs are new
        Campaign(2).Run();
        foreach (var (file, bytes) in first.Where(f => !f.Key.EndsWith("seed", StringComparison.Ordinal)))
        {
            Assert.Equal(bytes, File.ReadAllBytes(file));
        }
    }

    // A stop (Ctrl-C) while the corpus's inputs run first ends the campaign there: a large corpus on a slow target
    // ran whole before a stop or --duration was looked at.
    [SkippableFact]
    public void A_stop_while_the_corpus_runs_ends_the_campaign_there()
    {
        Requires.WriteTracking();
        string corpus = Corpus("AAAA");
        for (int i = 0; i < 50; i++)
        {
            File.WriteAllText(Path.Combine(corpus, $"seed-{i:D2}"), $"A{i:D3}");
        }
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        var campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = Path.Combine(_dir, "crashes"), Seed = 7 });
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.Equal(0UL, campaign.Run(cancel: stop.Token).Runs);
        // --duration too: one already past when the corpus starts runs none of it.
        campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = Path.Combine(_dir, "crashes"), Seed = 7, Duration = TimeSpan.FromTicks(1) });
        Assert.Equal(0UL, campaign.Run().Runs);
    }

    // A corpus folder holding what is not a regular file (a FIFO, which would block a read, a dangling link) still runs:
    // those are passed over, and a seed past AFL++'s 1 MiB is cut there, each said through SeedSkipped.
    [SkippableFact]
    public void CorpusEntriesThatAreNotRegularFilesArePassedOverAndLongSeedsCut()
    {
        Requires.WriteTracking();
        string corpus = Corpus("AAAA");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(corpus, "fifo")]))
        {
            mkfifo.WaitForExit();
        }
        File.CreateSymbolicLink(Path.Combine(corpus, "gone"), Path.Combine(_dir, "nothing"));
        File.WriteAllBytes(Path.Combine(corpus, "long"), new byte[FuzzCampaign.MaxSeedLength + 5]);
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        var campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions()),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = Path.Combine(_dir, "crashes"), Seed = 7, Runs = 100 });
        var skipped = new List<string>();
        campaign.SeedSkipped += (path, why) => skipped.Add($"{Path.GetFileName(path)}: {why}");
        Assert.Equal(100UL, campaign.Run().Runs);
        Assert.Equal(3, skipped.Count);
        Assert.Contains(skipped, s => s.StartsWith("fifo: not a regular file", StringComparison.Ordinal));
        Assert.Contains(skipped, s => s.StartsWith("gone: not a regular file", StringComparison.Ordinal));
        Assert.Contains(skipped, s => s.StartsWith("long: 1,048,581 bytes: only its first 1,048,576 are used", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_hang_is_saved_only_when_it_reached_an_edge_no_saved_hang_did()
    {
        Requires.WriteTracking();
        string corpus = Path.Combine(_dir, "corpus"), crashes = Path.Combine(_dir, "crashes");
        var image = FirmwareReader.Load(FuzzTargetTests.Planted);
        // Ten instructions is less than any run of this firmware needs: every run is a hang, stopped before the input
        // decides anything, so all take the same edges: one is saved (the first ten stop PCs were, before).
        var campaign = new FuzzCampaign(() => FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions { MaxInstructions = 10 }),
            new FuzzCampaignOptions { CorpusDirectory = corpus, CrashDirectory = crashes, Seed = 5, Runs = 500 });
        var found = new List<FuzzCrash>();
        campaign.CrashFound += crash => found.Add(crash);
        var status = campaign.Run();
        Assert.Equal(status.Runs, status.Hangs);
        Assert.Equal(0, status.Crashes);
        Assert.Single(found);
        Assert.All(found, f => Assert.Equal(FuzzRunKind.Hang, f.Kind));
        Assert.All(Directory.GetFiles(crashes), f => Assert.StartsWith("hang-0x0800", Path.GetFileName(f)));
        Assert.Equal(found.Count, Directory.GetFiles(crashes).Length);
    }

    [SkippableFact]
    public void TheCliSavesEachCrashOnceAndPrintsACommandThatReplaysIt()
    {
        Requires.WriteTracking();
        string corpus = Path.Combine(_dir, "corpus"), crashes = Path.Combine(_dir, "crashes");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "seed"), "FUZZ");
        var (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", corpus, "--crashes", crashes, "--runs", "200000", "--random", "3");
        Assert.Equal(120, exit);
        string file = Assert.Single(Directory.GetFiles(crashes, "*.bin"));
        string command = $"memgate run {Path.GetFullPath(FuzzTargetTests.Planted)} --device STM32F103 --mmio-input {file}";
        Assert.Contains($"reproduce: {command}", error);
        Assert.Contains("1 crash(es)", error);
        // The command is kept beside the input, with full paths: it replays from any folder.
        Assert.Equal(command + "\n", File.ReadAllText(Path.ChangeExtension(file, ".txt")));
        var (replayed, _, replay) = CliRunner.Run("run", FuzzTargetTests.Planted, "--device", "STM32F103", "--mmio-input", file);
        Assert.Equal(120, replayed);
        Assert.Contains("write to unmapped memory at 0x30000000", replay);

        // Another campaign's different input for the same crash, in the same folder, does not replace this one.
        File.WriteAllText(Path.Combine(corpus, "seed"), "FUZ!");
        CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", corpus, "--crashes", crashes, "--runs", "1", "--random", "3");
        Assert.Equal(2, Directory.GetFiles(crashes, "*.bin").Length);
        string second = Path.Combine(crashes, Path.GetFileNameWithoutExtension(file) + "-2.bin");
        Assert.True(File.Exists(second));
        // The same bytes from a campaign whose replay differs (another limit) are saved apart: each .txt keeps its pairing.
        string secondReplay = File.ReadAllText(Path.ChangeExtension(second, ".txt"));
        CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", corpus, "--crashes", crashes, "--runs", "1", "--random", "3", "--input-timeout", "7");
        Assert.Equal(secondReplay, File.ReadAllText(Path.ChangeExtension(second, ".txt")));
        string third = Path.Combine(crashes, Path.GetFileNameWithoutExtension(file) + "-3.bin");
        Assert.Equal(File.ReadAllBytes(second), File.ReadAllBytes(third));
        Assert.EndsWith(" --input-timeout 7\n", File.ReadAllText(Path.ChangeExtension(third, ".txt")));
    }

    [SkippableFact]
    public void WithStartAtTheReplaysStartFromASnapshotOfTheStartPointAndEndWhereTheRunsDid()
    {
        Requires.WriteTracking();
        string corpus = Path.Combine(_dir, "corpus"), crashes = Path.Combine(_dir, "crashes");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "seed"), "x");
        // From 'marker' (after the firmware's six interrupts) two instructions are too few to exit: every run is a hang, whose
        // replay must count its two instructions from 'marker' too (from reset it would end at the start of Reset_Handler).
        var (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Triggers, "--device", TriggerBoardFile, "--corpus", corpus, "--crashes", crashes,
            "--runs", "20", "--random", "1", "--start-at", "marker", "--max-instructions", "2");
        Assert.True(exit == 0, error);
        string start = Path.Combine(crashes, "start-marker.mgsnap");
        Assert.True(File.Exists(start), error);
        var hang = System.Text.RegularExpressions.Regex.Match(error, @"hang hang@0x([0-9a-f]{8}).*\n  reproduce: memgate run (--from-snapshot \S+) --mmio-input (\S+) --max-instructions 2");
        Assert.True(hang.Success, error);
        Assert.Equal($"--from-snapshot {start}", hang.Groups[2].Value);
        var (replayed, _, replay) = CliRunner.Run("run", "--from-snapshot", start, "--mmio-input", hang.Groups[3].Value, "--max-instructions", "2",
            "--json", "--dump-state");
        Assert.Equal(125, replayed);
        string dump = replay.Split('\n').Single(line => line.Contains("\"registers\"", StringComparison.Ordinal));
        var pc = System.Text.Json.JsonDocument.Parse(dump).RootElement.GetProperty("registers").EnumerateObject().Single(r => r.Name.Equals("pc", StringComparison.OrdinalIgnoreCase)).Value;
        ulong ended = pc.ValueKind == System.Text.Json.JsonValueKind.Number ? pc.GetUInt64() : Convert.ToUInt64(pc.GetString(), 16);
        Assert.Equal(Convert.ToUInt64(hang.Groups[1].Value, 16), ended);
        // No input saved, no start file kept.
        string quiet = Path.Combine(_dir, "quiet");
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Triggers, "--device", TriggerBoardFile, "--corpus", corpus, "--crashes", quiet,
            "--runs", "20", "--random", "1", "--start-at", "marker");
        Assert.True(exit == 0, error);
        Assert.Empty(Directory.GetFiles(quiet));
        // A campaign that cannot start after the start file was written (its corpus is a file) leaves no crashes folder.
        string notAFolder = Path.Combine(_dir, "corpus-file");
        File.WriteAllText(notAFolder, "x");
        string never = Path.Combine(_dir, "never");
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Triggers, "--device", TriggerBoardFile, "--corpus", notAFolder, "--crashes", never,
            "--runs", "20", "--random", "1", "--start-at", "marker");
        Assert.Equal(1, exit);
        Assert.Contains("corpus-file", error);
        Assert.False(Directory.Exists(never), error);
        // A folder to be made under a file, or where the system refuses one, is said with its option or role.
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Triggers, "--device", TriggerBoardFile, "--corpus", corpus, "--crashes", Path.Combine(notAFolder, "sub"), "--runs", "1");
        Assert.Equal(1, exit);
        Assert.Contains($"--crashes {Path.Combine(notAFolder, "sub")}: '{notAFolder}' is a file, so the folder cannot be made there", error);
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Triggers, "--device", TriggerBoardFile, "--corpus", corpus, "--crashes", "/proc/memgate-test", "--runs", "1");
        Assert.Equal(1, exit);
        Assert.Contains("The crashes folder '/proc/memgate-test' cannot be made", error);
    }

    private static string TriggerBoardFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", "trigger-board.toml");

    [SkippableFact]
    public void TheCliBlockAndInterruptLimitsApplyToEveryRunAndEndItNormally()
    {
        Requires.WriteTracking();
        string corpus = Corpus("x");
        string board = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", "trigger-board.toml");
        string limited = Path.Combine(_dir, "limited.toml");
        File.WriteAllText(limited, File.ReadAllText(board) + "\n[limits]\nblocks = 5\n");
        int campaigns = 0;
        // The hangs among 40 runs and the edges they covered.
        (int Hangs, int Edges) Fuzz(string device, params string[] options)
        {
            string crashes = Path.Combine(_dir, $"crashes{campaigns++}");
            var (exit, _, error) = CliRunner.Run(["fuzz", FuzzTargetTests.Triggers, "--device", device, "--corpus", corpus, "--crashes", crashes, "--runs", "40", "--random", "1", .. options]);
            Assert.True(exit == 0, error);
            var status = System.Text.RegularExpressions.Regex.Match(error, @"memgate fuzz: 40 runs .*, (\d+) edges, .*, 0 crash\(es\), (\d+) hang\(s\)");
            Assert.True(status.Success, error);
            return (int.Parse(status.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        // The firmware exits after six interrupts, about 3,000 instructions: no run hangs.
        var full = Fuzz(board);
        Assert.Equal(0, full.Hangs);
        // Five blocks end every run early, normally (Fuzzware's block limit exits with UC_ERR_OK): fewer edges, no hangs.
        var blocks = Fuzz(board, "--max-blocks", "5");
        Assert.Equal(0, blocks.Hangs);
        Assert.True(blocks.Edges < full.Edges, $"{blocks.Edges} edges with the limit, {full.Edges} without");
        Assert.Equal(blocks, Fuzz(limited));   // the device's [limits] by default
        Assert.Equal(full, Fuzz(limited, "--max-blocks", "0"));   // 0: none
        // 1,500 instructions are too few for six interrupts; the interrupt limit ends each run first, and not as a hang.
        Assert.Equal(40, Fuzz(board, "--max-instructions", "1500").Hangs);
        Assert.Equal(0, Fuzz(board, "--max-instructions", "1500", "--max-interrupts", "2").Hangs);
    }

    [Fact]
    public void TheCliSaysWhatIsMissing()
    {
        var (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--corpus", error);
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--afl");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("afl-fuzz", error);
        // Under afl-fuzz, options that only the built-in loop uses are refused, not silently dropped.
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--afl", "--jobs", "2", "--corpus", Path.Combine(_dir, "zz"));
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--corpus, --jobs do not go with it", error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "zz")));
        // A corpus folder that is not there (mistyped) is said, not silently fuzzed from nothing.
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", Path.Combine(_dir, "corpsu"), "--runs", "10");
        Assert.Equal(0, exit);
        Assert.Contains("corpsu' does not exist; it is created: the campaign starts from one input of 16 zero bytes", error);
        // --random repeats a campaign with one job only: with more, it says so.
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", Path.Combine(_dir, "corpsu"), "--runs", "10", "--random", "1", "--jobs", "2");
        Assert.Equal(0, exit);
        Assert.Contains("--random repeats a campaign only with --jobs 1", error);
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", _dir, "--start-at", "nosuchsymbol");
        Assert.Equal(1, exit);
        Assert.Contains("--start-at nosuchsymbol", error);
        (exit, _, error) = CliRunner.Run("fuzz", FuzzTargetTests.Planted, "--device", "STM32F103", "--corpus", _dir, "--crashes", _dir + "/");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("that is the --corpus folder", error);
    }
}
