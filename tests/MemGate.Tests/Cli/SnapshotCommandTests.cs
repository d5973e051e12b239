using MemGate.Cli;

namespace MemGate.Tests.Cli;

// memgate run --save-snapshot/--at and --from-snapshot, and memgate fuzz --from-snapshot, as a user runs them.
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-snapcli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    private string InDir(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_run_saved_at_an_instruction_count_goes_on_from_the_file_with_the_rest_of_its_output()
    {
        string elf = Fixture("firmware", "hello.elf");
        var whole = CliRunner.Run("run", elf, "--device", "STM32F103");
        var saved = CliRunner.Run("run", elf, "--device", "STM32F103", "--save-snapshot", InDir("hello.mgsnap"), "--at", "100");
        Assert.Equal(0, saved.Exit);
        Assert.Contains("snapshot saved to", saved.Err);
        Assert.Contains("after 100 instructions", saved.Err);
        var resumed = CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"));
        Assert.Equal((whole.Exit, whole.Out), (resumed.Exit, saved.Out + resumed.Out));
        Assert.Contains("93 instructions", resumed.Err);   // 193 in all
    }

    [Fact]
    public void Firmware_other_than_the_snapshots_is_named_in_a_warning_and_an_address_without_firmware_is_refused()
    {
        string elf = Fixture("firmware", "hello.elf");
        CliRunner.Run("run", elf, "--device", "STM32F103", "--save-snapshot", InDir("hello.mgsnap"), "--at", "100");
        var same = CliRunner.Run("run", elf, "--from-snapshot", InDir("hello.mgsnap"));
        Assert.Equal(0, same.Exit);
        Assert.DoesNotContain("warning", same.Err);
        string nvic = Fixture("firmware", "nvic.elf");
        var other = CliRunner.Run("run", nvic, "--from-snapshot", InDir("hello.mgsnap"), "--max-instructions", "1000");
        Assert.Contains($"warning: {nvic} is not the firmware the snapshot was taken with", other.Err);
        var address = CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--address", "0x08000000");
        Assert.Equal(CliApp.Usage, address.Exit);
        Assert.Contains("--address: with --from-snapshot it goes with a raw FIRMWARE", address.Err);
    }

    [Fact]
    public void A_snapshot_at_instruction_0_holds_the_reset_state_and_runs_the_whole_firmware_from_it()
    {
        string elf = Fixture("firmware", "hello.elf");
        var whole = CliRunner.Run("run", elf, "--device", "STM32F103");
        var saved = CliRunner.Run("run", elf, "--device", "STM32F103", "--save-snapshot", InDir("reset.mgsnap"), "--at", "0");
        Assert.Equal((0, ""), (saved.Exit, saved.Out));
        Assert.Contains("after 0 instructions, at PC 0x08000040", saved.Err);   // Reset_Handler, as the vector table says
        var resumed = CliRunner.Run("run", "--from-snapshot", InDir("reset.mgsnap"));
        Assert.Equal((whole.Exit, whole.Out), (resumed.Exit, resumed.Out));
        Assert.Contains("193 instructions", resumed.Err);
        // Taken again at 0 from that file: the same state, nothing run.
        var again = CliRunner.Run("run", "--from-snapshot", InDir("reset.mgsnap"), "--save-snapshot", InDir("again.mgsnap"), "--at", "0");
        Assert.Contains("after 0 instructions, at PC 0x08000040", again.Err);
        Assert.Equal(whole.Out, CliRunner.Run("run", "--from-snapshot", InDir("again.mgsnap")).Out);
    }

    // Split anywhere, around a SysTick interrupt too (its handler's first instruction, or a stop just after the exception
    // was taken before a block that had been counted), the two runs together are the run that never stopped: the same
    // output and instructions, the timer firing where it did.
    [Theory]
    [InlineData("SysTick_Handler")]
    [InlineData("PendSV_Handler")]
    [InlineData("2089")]
    [InlineData("2091")]
    [InlineData("2093")]
    public void A_run_split_by_a_snapshot_around_an_interrupt_is_the_whole_run(string at)
    {
        string elf = Path.Combine(Docs.ReadmeTests.RepositoryRoot, "examples", "firmware", "stm32f103", "tasks.elf");
        var whole = CliRunner.Run("run", elf, "--device", "STM32F103");
        var saved = CliRunner.Run("run", elf, "--device", "STM32F103", "--save-snapshot", InDir("split.mgsnap"), "--at", at);
        var resumed = CliRunner.Run("run", "--from-snapshot", InDir("split.mgsnap"));
        static ulong Count(string error) => ulong.Parse(System.Text.RegularExpressions.Regex.Match(error, @"([\d,]+) instructions").Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, saved.Exit);
        Assert.Equal((whole.Exit, whole.Out), (resumed.Exit, saved.Out + resumed.Out));
        Assert.Equal(Count(whole.Err), Count(saved.Err) + Count(resumed.Err));
    }

    [Fact]
    public void A_snapshot_at_a_symbol_is_taken_before_it_runs()
    {
        string elf = Fixture("differential", "fuzz", "planted.elf");
        File.WriteAllBytes(InDir("none"), []);
        var saved = CliRunner.Run("run", elf, "--device", "STM32F103", "--mmio-input", InDir("none"), "--save-snapshot", InDir("parse.mgsnap"), "--at", "parse");
        Assert.Equal(0, saved.Exit);
        Assert.Contains("at PC 0x08000008", saved.Err);
        // Taken with MMIO input: going on needs some too, which the hint says (and where a campaign can start).
        Assert.Contains($"go on with: memgate run --from-snapshot {InDir("parse.mgsnap")} --mmio-input FILE, or fuzz from there: memgate fuzz --from-snapshot", saved.Err);
        // Run again and again from the file, each run reads the input from its start (runs 2 and 3 went on where run 1 stopped reading).
        File.WriteAllBytes(InDir("fu"), "FUAA"u8.ToArray());
        var repeated = CliRunner.Run("run", "--from-snapshot", InDir("parse.mgsnap"), "--mmio-input", InDir("fu"), "--runs", "3");
        Assert.Equal(0, repeated.Exit);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(repeated.Err, "exit with code 0 in [0-9.]+ ms, 17 instructions").Count);
        File.WriteAllBytes(InDir("fuz"), "FUZ!"u8.ToArray());
        var crash = CliRunner.Run("run", "--from-snapshot", InDir("parse.mgsnap"), "--mmio-input", InDir("fuz"));
        Assert.Equal(120, crash.Exit);
        Assert.Contains("(in parse)", crash.Err);
        // The summary names the device, its CPU and the instruction count, as the summaries of other ends do.
        Assert.Matches(@"memgate run: STM32F103 \(cortex-m3\), after \d+ instructions: Guest fault at PC 0x08000032: .* \(in parse\) \(exit code 120\)", crash.Err);
    }

    [Fact]
    public void A_run_that_ends_before_at_writes_nothing_and_says_so()
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("late.mgsnap"), "--at", "100000");
        Assert.Equal(1, r.Exit);
        Assert.Contains("before --at 100000: no snapshot written", r.Err);
        Assert.Empty(Directory.GetFiles(_dir));
        // With --json, said as the run's one JSON line.
        var json = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("late.mgsnap"), "--at", "100000", "--json");
        using (var line = System.Text.Json.JsonDocument.Parse(json.Err.Trim()))
        {
            Assert.EndsWith("before --at 100000: no snapshot written", line.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, line.RootElement.GetProperty("status").GetInt32());
        }
        // A fault before --at says so too.
        File.WriteAllBytes(InDir("fuz"), "FUZ!"u8.ToArray());
        var fault = CliRunner.Run("run", Fixture("differential", "fuzz", "planted.elf"), "--device", "STM32F103", "--mmio-input", InDir("fuz"), "--save-snapshot", InDir("late.mgsnap"), "--at", "100000");
        Assert.Equal(120, fault.Exit);
        Assert.EndsWith("before --at 100000: no snapshot written", fault.Err.Trim(), StringComparison.Ordinal);
        Assert.False(File.Exists(InDir("late.mgsnap")));
    }

    [Theory]
    [InlineData("--save-snapshot", "x.mgsnap")]
    [InlineData("--at", "100")]
    public void Save_snapshot_and_at_go_together(string option, string value)
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", option, value);
        Assert.Equal(CliApp.Usage, r.Exit);
        Assert.Contains("go together", r.Err);
    }

    [Theory]
    [InlineData("", "--at: the value is empty", CliApp.Usage)]
    [InlineData("-1", "give an instruction count", CliApp.Usage)]
    [InlineData("99999999999999999999999", "--at 99999999999999999999999: give an instruction count from 0 to 18446744073709551615", CliApp.Usage)]
    [InlineData("no_such_symbol", "no symbol of that name", CliApp.InvalidInput)]
    public void A_bad_at_is_refused(string at, string message, int code)
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("x.mgsnap"), "--at", at);
        Assert.Equal(code, r.Exit);
        Assert.Contains(message, r.Err);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_symbol_asked_for_when_the_snapshots_firmware_is_gone_names_the_firmware()
    {
        string copy = InDir("fw.elf");
        File.Copy(Fixture("firmware", "hello.elf"), copy);
        CliRunner.Run("run", copy, "--device", "STM32F103", "--save-snapshot", InDir("hello.mgsnap"), "--at", "100");
        Assert.Equal(0, CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--stop-at", "Default_Handler").Exit);   // still there: its symbols serve
        File.Delete(copy);
        var gone = CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--stop-at", "Default_Handler");
        Assert.Equal(CliApp.InvalidInput, gone.Exit);
        Assert.Contains($"--stop-at Default_Handler: no symbol of that name in the image or the device (the snapshot's firmware {copy} is gone", gone.Err);
    }

    [Fact]
    public void A_smaller_instruction_limit_ends_the_run_before_at_and_nothing_is_written()
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("x.mgsnap"), "--at", "100", "--max-instructions", "50");
        Assert.Equal(CliApp.InstructionLimit, r.Exit);
        Assert.Contains("after 50 instructions, before --at 100: no snapshot written", r.Err);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_snapshot_into_a_folder_that_takes_no_files_names_the_file_not_its_temporary()
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", "/proc/x.mgsnap", "--at", "50");
        Assert.Equal(1, r.Exit);
        Assert.Contains("Cannot write snapshot file '/proc/x.mgsnap'", r.Err);
        Assert.DoesNotContain(".tmp", r.Err);
    }

    [Fact]
    public void A_snapshot_into_a_missing_folder_names_the_file_and_the_folder()
    {
        var r = CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("missing/x.mgsnap"), "--at", "50");
        Assert.Equal(1, r.Exit);
        Assert.Contains("missing/x.mgsnap': folder", r.Err);
    }

    [Fact]
    public void A_snapshot_of_another_device_or_a_broken_file_is_refused_clearly()
    {
        CliRunner.Run("run", Fixture("firmware", "hello.elf"), "--device", "STM32F103", "--save-snapshot", InDir("hello.mgsnap"), "--at", "50");
        var other = CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--device", "STM32F407");
        Assert.Equal(1, other.Exit);
        Assert.Contains("is device 'STM32F407', but snapshot file", other.Err);
        Assert.Contains("was taken of device 'STM32F103'", other.Err);
        // A device file is read as any other: another device is refused as the template is, a missing file is said so,
        // and the same device is accepted.
        File.WriteAllText(InDir("f407.toml"), CliRunner.Run("convert", "STM32F407", "--to", "toml").Out);
        Assert.Contains("was taken of device 'STM32F103'", CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--device", InDir("f407.toml")).Err);
        var missing = CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--device", InDir("none.toml"));
        Assert.Equal(1, missing.Exit);
        Assert.DoesNotContain("was taken of", missing.Err);
        Assert.Contains("none.toml", missing.Err);
        File.WriteAllText(InDir("f103.toml"), CliRunner.Run("convert", "STM32F103", "--to", "toml").Out);
        Assert.Equal(0, CliRunner.Run("run", "--from-snapshot", InDir("hello.mgsnap"), "--device", InDir("f103.toml")).Exit);
        // Firmware given for its symbols must be built for the snapshot's device, as for a run from reset.
        var riscv = CliRunner.Run("run", Fixture("firmware", "riscv-virt", "hello-rv32.elf"), "--from-snapshot", InDir("hello.mgsnap"));
        Assert.Equal((1, ""), (riscv.Exit, riscv.Out));
        Assert.Contains("RISC-V", riscv.Err);
        byte[] bytes = File.ReadAllBytes(InDir("hello.mgsnap"));
        File.WriteAllBytes(InDir("cut.mgsnap"), bytes[..4096]);
        var cut = CliRunner.Run("run", "--from-snapshot", InDir("cut.mgsnap"));
        Assert.Equal(1, cut.Exit);
        Assert.Contains("cut.mgsnap", cut.Err);
        Assert.Contains("truncated", cut.Err);
        Assert.DoesNotContain("   at ", cut.Err);
    }

    [SkippableFact]
    public void A_snapshot_of_a_run_without_mmio_input_can_be_fuzzed_from_on_a_device_with_plain_registers()
    {
        // CortexA53's device block keeps its unmodelled registers as plain memory in a run, and feeds them from the
        // input in a fuzz run: what they held is dropped. The 2 GiB of RAM come from the file without being read.
        Requires.WriteTracking();
        var save = CliRunner.Run("run", Fixture("firmware", "a53-virt", "hello.elf"), "--device", "CortexA53",
            "--save-snapshot", InDir("a53.mgsnap"), "--at", "50");
        Assert.True(save.Exit == 0, save.Err);
        Directory.CreateDirectory(InDir("corpus"));
        File.WriteAllBytes(InDir("corpus/a"), "x"u8.ToArray());
        var fuzz = CliRunner.Run("fuzz", "--from-snapshot", InDir("a53.mgsnap"), "--corpus", InDir("corpus"), "--crashes", InDir("crashes"),
            "--runs", "20", "--random", "1");
        Assert.True(fuzz.Exit == 0, fuzz.Err);
        Assert.Contains("20 runs", fuzz.Err);
    }

    [SkippableFact]
    public void A_fuzzing_campaign_starts_from_a_snapshot_file_and_its_crash_replays_with_the_printed_command()
    {
        Requires.WriteTracking();
        File.WriteAllBytes(InDir("none"), []);
        CliRunner.Run("run", Fixture("differential", "fuzz", "planted.elf"), "--device", "STM32F103", "--mmio-input", InDir("none"),
            "--save-snapshot", InDir("parse.mgsnap"), "--at", "parse");
        Directory.CreateDirectory(InDir("corpus"));
        File.WriteAllBytes(InDir("corpus/a"), "AAAA"u8.ToArray());
        var fuzz = CliRunner.Run("fuzz", "--from-snapshot", InDir("parse.mgsnap"), "--corpus", InDir("corpus"), "--crashes", InDir("crashes"),
            "--runs", "400000", "--random", "1");
        Assert.Equal(120, fuzz.Exit);
        string replay = fuzz.Err.Split('\n').First(l => l.Contains("reproduce: memgate run")).Trim()["reproduce: memgate ".Length..];
        Assert.StartsWith($"run --from-snapshot {InDir("parse.mgsnap")} --mmio-input ", replay);
        var again = CliRunner.Run(replay.Split(' '));
        Assert.Equal(120, again.Exit);
        Assert.Contains("write to unmapped memory at 0x30000000", again.Err);
        // Saved from an input-fed run, the file goes on only with an input, and says so.
        var plain = CliRunner.Run("run", "--from-snapshot", InDir("parse.mgsnap"), "--max-instructions", "10000");
        Assert.Equal(CliApp.Usage, plain.Exit);
        Assert.Contains("--mmio-input", plain.Err);
        Assert.DoesNotContain("   at ", plain.Err);
        // --device with a snapshot file: its own device is accepted, another refused as by memgate run (exit 1), before any folder is made.
        var other = CliRunner.Run("fuzz", "--from-snapshot", InDir("parse.mgsnap"), "--device", "STM32F407", "--corpus", InDir("corpus2"), "--runs", "10");
        Assert.Equal(1, other.Exit);
        Assert.Contains("was taken of device 'STM32F103'", other.Err);
        Assert.False(Directory.Exists(InDir("corpus2")));
        Assert.Equal(0, CliRunner.Run("fuzz", "--from-snapshot", InDir("parse.mgsnap"), "--device", "STM32F103", "--corpus", InDir("corpus"),
            "--crashes", InDir("crashes"), "--runs", "10").Exit);
    }
}
