using System.Globalization;
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
