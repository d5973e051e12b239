using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MemGate.Devices.Config;
using MemGate.Devices.Import;
using MemGate.Peripherals;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Devices;

/// <summary>
/// Fuzzware's public example targets (../shared/realworld/fuzzware-examples beside the repository: P2IM and
/// pw-recovery) import, validate and run from their device files. Skipped when the folder is not there.
/// </summary>
public sealed class RealWorldImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-realworld").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every target of the two example sets, as folder/target.</summary>
    private static readonly string[] TargetNames =
    [
        "P2IM/CNC", "P2IM/Console", "P2IM/Drone", "P2IM/Gateway", "P2IM/Heat_Press", "P2IM/PLC", "P2IM/Reflow_Oven",
        "P2IM/Robot", "P2IM/Soldering_Iron", "P2IM/Steering_Control",
        "pw-recovery/ARCH_PRO", "pw-recovery/EFM32GG_STK3700", "pw-recovery/EFM32LG_STK3600", "pw-recovery/LPC1549",
        "pw-recovery/LPC1768", "pw-recovery/MOTE_L152RC", "pw-recovery/NUCLEO_F103RB", "pw-recovery/NUCLEO_F207ZG",
        "pw-recovery/NUCLEO_L152RE", "pw-recovery/UBLOX_C027",
    ];

    public static TheoryData<string> Targets => new(TargetNames);

    [SkippableFact]
    public void The_target_list_names_every_config_in_the_folder()
    {
        string examples = Requires.RealWorld("fuzzware-examples");
        var found = new[] { "P2IM", "pw-recovery" }
            .SelectMany(set => Directory.EnumerateFiles(Path.Combine(examples, set), "config.yml", SearchOption.AllDirectories))
            .Select(config => Path.GetRelativePath(examples, Path.GetDirectoryName(config)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(TargetNames.Order(StringComparer.Ordinal), found);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public void Every_example_imports_and_its_device_file_validates(string target)
    {
        string config = Requires.RealWorld("fuzzware-examples", target, "config.yml");
        var device = FuzzwareImporter.Import(config);
        Assert.Empty(PeripheralRegistry.Default.Check(device));
        Assert.Contains(device.Regions, r => r.InitFile is not null);
        Assert.Contains(device.Symbols, s => s.Name == "main");

        // As written by import -o: the device file loads from where it is written and validates.
        string file = Path.Combine(_dir, "device.toml");
        var (exit, _, error) = CliRunner.Run("import", "fuzzware", config, "-o", file);
        Assert.True(exit == 0, error);
        var written = DeviceConfigReader.Load(file);
        Assert.Empty(PeripheralRegistry.Default.Check(written));
        Assert.Equal(device.Regions.Count, written.Regions.Count);
        var (valid, _, problems) = CliRunner.Run("validate", file);
        Assert.True(valid == 0, problems);
    }

    /// <summary>
    /// Targets and the first of bench/realworld.sh's generated inputs (see <see cref="Generated"/>) with which each
    /// reaches main and runs until the input is exhausted, as the README's table shows.
    /// </summary>
    public static TheoryData<string, int> ReachingMain => new()
    {
        { "P2IM/Console", 0 }, { "P2IM/Drone", 0 }, { "P2IM/Gateway", 3 }, { "P2IM/Heat_Press", 0 }, { "P2IM/PLC", 4 },
        { "P2IM/Reflow_Oven", 4 }, { "P2IM/Robot", 12 }, { "P2IM/Soldering_Iron", 0 }, { "P2IM/Steering_Control", 0 },
        { "pw-recovery/ARCH_PRO", 0 }, { "pw-recovery/EFM32GG_STK3700", 0 }, { "pw-recovery/EFM32LG_STK3600", 0 },
        { "pw-recovery/LPC1549", 0 }, { "pw-recovery/LPC1768", 0 }, { "pw-recovery/MOTE_L152RC", 1 },
        { "pw-recovery/NUCLEO_F103RB", 12 }, { "pw-recovery/UBLOX_C027", 0 },
    };

    /// <summary>bench/realworld.sh's generated input number <paramref name="k"/>: 4096 bytes, SHA-256 of "memgate-K-I" for I = 0..127.</summary>
    private static byte[] Generated(int k) =>
        [.. Enumerable.Range(0, 128).SelectMany(i => SHA256.HashData(Encoding.ASCII.GetBytes($"memgate-{k}-{i}")))];

    // Imports the target, runs it with `input` (coverage on): exit code, stderr, whether main's block ran.
    private (int Exit, string Error, bool ReachedMain) RunTarget(string target, byte[] input)
    {
        string config = Requires.RealWorld("fuzzware-examples", target, "config.yml");
        string device = Path.Combine(_dir, "device.toml");
        var (importExit, _, importError) = CliRunner.Run("import", "fuzzware", config, "-o", device);
        Assert.True(importExit == 0, importError);
        ulong main = DeviceConfigReader.Load(device).Symbols.Single(s => s.Name == "main").Address & ~1UL;
        string file = Path.Combine(_dir, "input.bin");
        File.WriteAllBytes(file, input);
        string coverage = Path.Combine(_dir, "coverage.txt");
        var (exit, output, error) = CliRunner.Run("run", "--device", device, "--mmio-input", file, "--coverage", coverage, "--json",
            "--max-instructions", "20000000", "--timeout", "60");
        Assert.Empty(output);   // no UART model in an imported device
        var blocks = File.ReadAllLines(coverage).Select(line => ulong.Parse(line.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        return (exit, error, blocks.Contains(main));
    }

    // drcov coverage of an imported target names its module after the file the device loads the code from (as Lighthouse
    // matches modules by name), not after the region.
    [SkippableFact]
    public void Drcov_coverage_of_an_import_names_the_firmware_file()
    {
        string config = Requires.RealWorld("fuzzware-examples", "P2IM/Drone", "config.yml");
        string device = Path.Combine(_dir, "device.toml"), input = Path.Combine(_dir, "input.bin"), coverage = Path.Combine(_dir, "coverage.drcov");
        Assert.Equal(0, CliRunner.Run("import", "fuzzware", config, "-o", device).Exit);
        File.WriteAllBytes(input, Generated(0));
        CliRunner.Run("run", "--device", device, "--mmio-input", input, "--coverage", coverage, "--max-instructions", "100000");
        string header = Encoding.ASCII.GetString(File.ReadAllBytes(coverage)).Split("BB Table")[0];
        Assert.Contains(", Drone.bin\n", header, StringComparison.Ordinal);
    }

    // A run saved to a snapshot file at any instruction and continued from it in another process is the run that never
    // stopped: CNC's timers count basic blocks (a stop inside a block must not make its rest one more) and the input's
    // timeout counts blocks since the last read across the stop. The input here ends in that timeout, after SysTicks.
    [SkippableTheory]
    [InlineData(1000)]
    [InlineData(12345)]
    [InlineData(40000)]
    public void A_run_continued_from_a_snapshot_file_is_the_run_that_never_stopped(int at)
    {
        string config = Requires.RealWorld("fuzzware-examples", "P2IM/CNC", "config.yml");
        string device = Path.Combine(_dir, "cnc.toml");
        Assert.Equal(0, CliRunner.Run("import", "fuzzware", config, "-o", device).Exit);
        string input = Path.Combine(_dir, "input.bin");
        File.WriteAllBytes(input, Generated(0));
        string snapshot = Path.Combine(_dir, "cnc.mgsnap");
        var whole = CliRunner.Run("run", "--device", device, "--mmio-input", input, "--json", "--trace-exceptions", Path.Combine(_dir, "whole.txt"));
        var saved = CliRunner.Run("run", "--device", device, "--mmio-input", input, "--save-snapshot", snapshot, "--at", $"{at}");
        Assert.True(saved.Exit == 0, saved.Err);
        var rest = CliRunner.Run("run", "--from-snapshot", snapshot, "--mmio-input", input, "--json", "--trace-exceptions", Path.Combine(_dir, "rest.txt"));
        using var a = JsonDocument.Parse(whole.Err.Trim().Split('\n')[^1]);
        using var b = JsonDocument.Parse(rest.Err.Trim().Split('\n')[^1]);
        Assert.Equal(a.RootElement.GetProperty("reason").GetString(), b.RootElement.GetProperty("reason").GetString());
        Assert.Equal(a.RootElement.GetProperty("instructions").GetUInt64(), (ulong)at + b.RootElement.GetProperty("instructions").GetUInt64());
        // Every exception at the same instruction (the trace counts from each run's start).
        var after = File.ReadAllLines(Path.Combine(_dir, "whole.txt")).Select(l => l.Split(' ', 2)).Where(p => ulong.Parse(p[0], CultureInfo.InvariantCulture) > (ulong)at)
            .Select(p => $"{ulong.Parse(p[0], CultureInfo.InvariantCulture) - (ulong)at} {p[1]}");
        Assert.Equal(after, File.ReadAllLines(Path.Combine(_dir, "rest.txt")));
    }

    /// <summary>The README's real-world table rows run with a base input of the target's own (not generated, not fuzzed).</summary>
    public static TheoryData<string, string, ulong, string> ReadmeBaseInputRows()
    {
        var rows = new TheoryData<string, string, ulong, string>();
        foreach (string line in File.ReadLines(Path.Combine(RepositoryRoot(), "README.md")).Where(l => l.StartsWith("| P2IM/", StringComparison.Ordinal) || l.StartsWith("| pw-recovery/", StringComparison.Ordinal)))
        {
            string[] cells = [.. line.Trim('|').Split('|').Select(c => c.Trim())];
            if (!cells[1].StartsWith("generated", StringComparison.Ordinal) && !cells[1].StartsWith("fuzzed", StringComparison.Ordinal) && !cells[1].StartsWith("none of", StringComparison.Ordinal))
            {
                rows.Add(cells[0], cells[1], ulong.Parse(cells[6], CultureInfo.InvariantCulture), cells[8]);
            }
        }
        return rows;
    }

    [SkippableTheory]
    [MemberData(nameof(ReadmeBaseInputRows))]
    public void The_readme_rows_with_a_base_input_are_what_a_run_gives(string target, string input, ulong instructions, string end)
    {
        string file = Requires.RealWorld("fuzzware-examples", target, "base_inputs", input);
        var (_, error, _) = RunTarget(target, File.ReadAllBytes(file));
        Assert.Contains($"\"reason\":\"{end}\"", error, StringComparison.Ordinal);
        Assert.Contains($"\"instructions\":{instructions},", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_inputs_are_the_bench_scripts()
    {
        string script = File.ReadAllText(Path.Combine(RepositoryRoot(), "bench", "realworld.sh"));
        Assert.Contains("printf 'memgate-%d-%d' \"$1\" \"$i\" | sha256sum", script, StringComparison.Ordinal);
        Assert.Contains("for ((i = 0; i < 128; i++))", script, StringComparison.Ordinal);
        // sha256sum of "memgate-0-0", as the script turns it into bytes.
        Assert.Equal(Convert.FromHexString("1fac6201e6a444dcebe63728bd43ff4b"), Generated(0)[..16]);
    }

    [SkippableTheory]
    [MemberData(nameof(ReachingMain))]
    public void The_target_reaches_main_with_a_generated_input_and_runs_until_the_input_is_exhausted(string target, int k)
    {
        var (exit, error, reachedMain) = RunTarget(target, Generated(k));
        Assert.True(exit == 122, error);
        Assert.Contains("\"outcome\":\"input-exhausted\"", error, StringComparison.Ordinal);
        Assert.Contains("after 4096 input bytes", error, StringComparison.Ordinal);
        Assert.True(reachedMain, $"{target}: main's block was not covered");
    }

    [SkippableFact]
    public void Cnc_reaches_main_and_its_clock_setup_failing_on_random_input_ends_in_an_input_timeout()
    {
        // SystemClock_Config reads FLASH->ACR back and compares it (HAL_RCC_ClockConfig); random bytes fail that and
        // Error_Handler loops where no input is read, as under Fuzzware without its MMIO models.
        var (exit, error, reachedMain) = RunTarget("P2IM/CNC", Generated(0));
        Assert.True(exit == 123, error);
        Assert.Contains("input timeout: 150000 blocks without reading input", error, StringComparison.Ordinal);
        Assert.True(reachedMain);
    }

    [SkippableFact]
    public void Reflow_oven_reaches_main_and_crashes_calling_a_transmit_callback_that_was_never_set()
    {
        // The UART interrupt's handler takes input bits for "transmission complete"; the callback it calls is 0,
        // in the 'zero' region, which is not executable: a crash, as Fuzzware reports it.
        var (exit, error, reachedMain) = RunTarget("P2IM/Reflow_Oven", Generated(3));
        Assert.True(exit == 120, error);
        Assert.Contains("instruction fetch from non-executable memory at 0x00000000", error, StringComparison.Ordinal);
        Assert.True(reachedMain);
    }

    [SkippableFact]
    public void Reflow_oven_runs_its_display_setup_in_fuzzwares_time_and_its_base_input_until_exhausted()
    {
        // setup() spends about 75 ms in the LCD's delays without reading input. Fuzzware's SysTick ticks every 500-1500
        // basic blocks, so that fits within the 150,000-block input timeout; counted as instructions of a 8 MHz clock
        // (8,000 per tick), it took more than 150,000 blocks and the run ended in an input timeout after main.
        string input = Requires.RealWorld("fuzzware-examples", "P2IM", "Reflow_Oven", "base_inputs", "random");
        var (exit, error, reachedMain) = RunTarget("P2IM/Reflow_Oven", File.ReadAllBytes(input));
        Assert.True(exit == 122, error);
        Assert.Contains("\"outcome\":\"input-exhausted\"", error, StringComparison.Ordinal);
        Assert.True(reachedMain);
    }

    private static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "test.sh")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return directory!;
    }

    [SkippableFact]
    public void Drone_reaches_main_with_its_base_input_and_runs_until_the_input_is_exhausted()
    {
        string target = Requires.RealWorld("fuzzware-examples", "P2IM", "Drone");
        string device = Path.Combine(_dir, "drone.toml");
        var (importExit, _, importError) = CliRunner.Run("import", "fuzzware", Path.Combine(target, "config.yml"), "-o", device);
        Assert.True(importExit == 0, importError);
        ulong main = DeviceConfigReader.Load(device).Symbols.Single(s => s.Name == "main").Address & ~1UL;

        string coverage = Path.Combine(_dir, "coverage.txt");
        var (exit, output, error) = CliRunner.Run("run", "--device", device, "--mmio-input", Path.Combine(target, "base_inputs", "ex1"),
            "--coverage", coverage, "--json", "--max-instructions", "20000000", "--timeout", "30");
        Assert.True(exit == 122, error);
        Assert.Contains("\"outcome\":\"input-exhausted\"", error, StringComparison.Ordinal);
        Assert.Empty(output);   // no UART model in an imported device
        var blocks = File.ReadAllLines(coverage).Select(line => ulong.Parse(line.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList();
        Assert.Contains(main, blocks);

        // --stop-at main ends there, before main runs.
        var (reached, _, summary) = CliRunner.Run("run", "--device", device, "--mmio-input", Path.Combine(target, "base_inputs", "ex1"),
            "--stop-at", "main", "--max-instructions", "20000000");
        Assert.True(reached == 0, summary);
        Assert.Contains("reached main", summary, StringComparison.Ordinal);
    }
}
