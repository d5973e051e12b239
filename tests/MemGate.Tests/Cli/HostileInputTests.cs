using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MemGate.Cli;
using MemGate.Cli.Commands;

namespace MemGate.Tests.Cli;

/// <summary>Whatever the arguments and files, the CLI exits 0, 1 or 2 with located errors: no crash, no hang, no stack trace.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-hostile").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FullWriter : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => throw new IOException("No space left on device");
    }

    [Fact]
    public void Unwritable_stderr_still_gives_the_exit_code()
    {
        Assert.Equal(1, CliApp.Run(["show", Path.Combine(_dir, "missing.toml")], new StringWriter(), new FullWriter()));
        Assert.Equal(2, CliApp.Run(["frobnicate"], new StringWriter(), new FullWriter()));
    }

    [Fact]
    public void Unwritable_stderr_does_not_abort_the_process()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        var info = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet '{cli}' show '{_dir}/missing.toml' 2>/dev/full"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal(1, process.ExitCode);
    }

    // Standard output on a full disk: every command, its help and --version end with 74 (the host's I/O), saying so.
    [SkippableFact]
    public void Unwritable_stdout_is_the_hosts_io_error_for_every_command()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full here");
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        foreach (string args in new[] { "validate STM32F103", "--version", "run --help", "list" })
        {
            var info = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet '{cli}' {args} >/dev/full"]) { RedirectStandardError = true };
            using var process = Process.Start(info)!;
            string error = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(60_000));
            Assert.Equal((args, CliApp.HostIOError), (args, process.ExitCode));
            Assert.Contains("cannot write", error);
            Assert.DoesNotContain("internal error", error);
        }
    }

    [Fact]
    public void A_bug_is_an_internal_error_with_exit_70_and_no_stack_trace()
    {
        var error = new StringWriter();
        int exit = CliApp.Guard(error, () => throw new InvalidOperationException("boom\n   at Somewhere.Deep()"));
        Assert.Equal(CliApp.InternalError, exit);
        Assert.StartsWith("memgate: internal error: InvalidOperationException: boom", error.ToString());
        Assert.Contains("Please report it", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Fact]
    public void Only_MemGate_and_file_system_errors_are_the_input_s_fault()
    {
        var error = new StringWriter();
        var parse = new System.CommandLine.RootCommand().Parse([]);
        Assert.Equal(1, CommandErrors.Run("x", parse, error, () => throw new MemGateException("bad value")));
        Assert.Equal(1, CommandErrors.Run("x", parse, error, () => throw new FileNotFoundException("gone")));
        Assert.Throws<ArgumentException>(() => CommandErrors.Run("x", parse, error, () => throw new ArgumentException("library bug")));
        Assert.Throws<KeyNotFoundException>(() => CommandErrors.Run("x", parse, error, () => throw new KeyNotFoundException("library bug")));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Devices.DeviceDescriptionException)));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Firmware.FirmwareFormatException)));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Mmio.Svd.SvdFormatException)));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Memory.GuestMemoryException)));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Processes.ProcessAccessException)));
        Assert.True(typeof(MemGateException).IsAssignableFrom(typeof(MemGate.Memory.RegionOverlapException)));
    }

    // A program that asked for JSON gets its failure as JSON too: one line on stderr with the exit code and each
    // problem located, instead of text it would have to parse.
    [Fact]
    public void A_command_given_json_reports_its_failure_as_one_json_line()
    {
        string device = Path.Combine(_dir, "bad.toml");
        File.WriteAllText(device, "[device]\nname = \"Bad\"\ncpu = \"cortex-m3\"\n\n[[regions]]\nname = \"R\"\nguest_address = \"0x20000000\"\nsize = \"-4\"\ntype = \"ram\"\n");
        var (exit, output, error) = CliRunner.Run("show", device, "--json");
        Assert.Equal((CliApp.InvalidInput, ""), (exit, output));
        using (var json = JsonDocument.Parse(Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries))))
        {
            Assert.Equal(("show", CliApp.InvalidInput), (json.RootElement.GetProperty("command").GetString(), json.RootElement.GetProperty("exitCode").GetInt32()));
            var problem = json.RootElement.GetProperty("errors")[0];
            Assert.Equal((device, 8, "error"), (problem.GetProperty("file").GetString(), problem.GetProperty("line").GetInt32(), problem.GetProperty("severity").GetString()));
            Assert.StartsWith("regions", problem.GetProperty("field").GetString(), StringComparison.Ordinal);
        }

        (exit, _, error) = CliRunner.Run("run", "--from-snapshot", Path.Combine(_dir, "none.mgsnap"), "--json");
        Assert.Equal(CliApp.InvalidInput, exit);
        using (var json = JsonDocument.Parse(error))
        {
            Assert.Contains("none.mgsnap", json.RootElement.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        // Without --json, the same failure is text.
        Assert.StartsWith("memgate run: Snapshot file", CliRunner.Run("run", "--from-snapshot", Path.Combine(_dir, "none.mgsnap")).Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("show", "NoSuchDevice")]
    [InlineData("convert", "x.unknown", "--to", "toml")]
    [InlineData("image", "{dir}/fw.bin", "--address", "zz")]
    [InlineData("allocate", "-r", "A@0:0")]
    [InlineData("allocate", "-r", "A@0:0xFFFFFFFFFFFFFFFF")]
    [InlineData("allocate", "-r", "A@0:4KiB", "--width", "99")]
    [InlineData("allocate", "-r", "A@0:4KiB:rw:99")]
    [InlineData("allocate", "-r", "A@0:4KiB:rw:-1")]
    [InlineData("allocate", "-r", "A@0:4KiB:rw:ram, flash")]
    [InlineData("ps", "search", "--pid", "1", "--hex", "ZZ")]
    [InlineData("ps", "search", "--pid", "1", "--u32", "0x100000000")]
    [InlineData("ps", "read", "--pid", "1", "--address", "nope", "--size", "4")]
    [InlineData("ps", "dump", "--pid", "1", "--address", "0", "--size", "lots", "-o", "{dir}/out.bin")]
    public void Bad_values_are_located_user_errors(params string[] args)
    {
        File.WriteAllBytes(Path.Combine(_dir, "fw.bin"), [1, 2, 3, 4]);
        var (exit, output, error) = CliRunner.RunBounded([.. args.Select(a => a.Replace("{dir}", _dir, StringComparison.Ordinal))]);
        Assert.True(exit is CliApp.InvalidInput or CliApp.Usage, $"exit {exit}: {error}");   // bad input or usage, never success or a crash
        Assert.DoesNotContain("internal error", error);
        Assert.DoesNotContain("   at ", error + output);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void A_process_id_that_cannot_be_one_is_a_usage_error(string pid)
    {
        var (exit, _, error) = CliRunner.RunBounded("ps", "list", "--pid", pid);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains($"--pid {pid}: a process id is a positive number", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--svg", "map", "STM32F103", "--svg", "")]
    [InlineData("--save-snapshot", "run", "{hello}", "--device", "STM32F103", "--save-snapshot", "", "--at", "10")]
    [InlineData("--from-snapshot", "run", "--from-snapshot", "")]
    [InlineData("--coverage", "run", "{hello}", "--device", "STM32F103", "--coverage", "")]
    [InlineData("--corpus", "fuzz", "{hello}", "--device", "STM32F103", "--corpus", "")]
    [InlineData("--output", "convert", "STM32F103", "--to", "json", "-o", "")]
    [InlineData("<file>", "import", "fuzzware", "")]
    public void An_empty_value_is_a_usage_error_naming_the_option(string named, params string[] args)
    {
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var (exit, output, error) = CliRunner.RunBounded([.. args.Select(a => a.Replace("{hello}", hello, StringComparison.Ordinal))]);
        Assert.True(exit == CliApp.Usage, $"exit {exit}: {output} {error}");
        Assert.Contains($"{named}: the value is empty.", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public void A_search_region_that_names_no_mapping_says_so()
    {
        string self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (exit, _, error) = CliRunner.RunBounded("ps", "search", "--pid", self, "--hex", "DE AD", "--region", "no-such-mapping-anywhere");
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains($"--region no-such-mapping-anywhere: no mapping of process {self} matches it", error);
    }

    [Theory]
    [InlineData("--u32", "-1", "0xFFFFFFFF")]
    [InlineData("--u32", "4294967296", "0xFFFFFFFF")]
    [InlineData("--u64", "0x1FFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFF")]
    public void A_search_value_out_of_range_names_the_range_it_takes(string option, string value, string max)
    {
        var (exit, _, error) = CliRunner.RunBounded("ps", "search", "--pid", "1", option, value);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains($"{option} {value}: give a value from 0 to {max} (hex with 0x prefix, or decimal).", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resident_memory_of_a_huge_region_is_still_counted()
    {
        using var memory = MemGate.Memory.GuestMemory.Create([MemGate.Memory.GuestRegion.Ram("Big", 0, 128UL << 30)], new MemGate.Memory.GuestMemoryOptions { AddressWidth = 64 });
        Assert.Equal(0UL, memory.ResidentBytes());
        memory.WriteByte(new MemGate.Memory.GuestAddress(0), 1);
        memory.WriteByte(new MemGate.Memory.GuestAddress(100UL << 30), 1);
        Assert.InRange(memory.ResidentBytes(), 2UL * 4096, 8UL << 20);
    }

    [Theory]
    [InlineData("config", "{link}.toml")]
    [InlineData("validate", "{link}.yaml")]
    [InlineData("svd", "{link}.svd")]
    [InlineData("image", "{link}.elf")]
    [InlineData("import", "fuzzware", "{link}.yml")]
    [InlineData("config", "{fifo}.toml")]
    [InlineData("svd", "{fifo}.svd")]
    [InlineData("image", "{fifo}.hex")]
    [InlineData("import", "halucinator", "{fifo}.yaml")]
    [InlineData("ps", "write", "--pid", "1", "--address", "0", "--file", "{fifo}.bin")]
    [InlineData("ps", "write", "--pid", "1", "--address", "0", "--file", "/dev/zero")]
    [InlineData("config", "{dir}/folder.toml")]
    public void Special_files_are_refused_without_reading_them(params string[] args)
    {
        string link = Path.Combine(_dir, "zero");
        string fifo = Path.Combine(_dir, "fifo");
        foreach (string ext in new[] { ".toml", ".yaml", ".svd", ".elf", ".yml" })
        {
            File.CreateSymbolicLink(link + ext, "/dev/zero");
        }
        Directory.CreateDirectory(Path.Combine(_dir, "folder.toml"));
        foreach (string ext in new[] { ".toml", ".svd", ".hex", ".yaml", ".bin" })
        {
            using var mkfifo = Process.Start("mkfifo", [fifo + ext]);
            mkfifo.WaitForExit();
        }
        var (exit, _, error) = CliRunner.RunBounded([.. args.Select(a => a.Replace("{link}", link, StringComparison.Ordinal)
            .Replace("{fifo}", fifo, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal))]);
        Assert.True(exit == 1, $"exit {exit}: {error}");
        Assert.Matches("character device|FIFO|directory", error);
    }

    // Inputs a user generates on the fly are read from a pipe or device: /dev/null is no input, a FIFO is read to its
    // end; an endless device stops at the stream limit with a clear error instead of filling memory.
    [Fact]
    public async Task Mmio_and_uart_inputs_come_from_pipes_and_devices_too()
    {
        string planted = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "fuzz", "planted.elf");
        var none = CliRunner.RunBounded("run", planted, "--device", "STM32F103", "--mmio-input", "/dev/null");
        Assert.Equal(CliApp.InputExhausted, none.Exit);

        string fifo = Path.Combine(_dir, "input");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }
        var writer = Task.Run(() => File.WriteAllBytes(fifo, "FUZ!"u8.ToArray()));
        var crash = CliRunner.RunBounded("run", planted, "--device", "STM32F103", "--mmio-input", fifo);
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CliApp.GuestFault, crash.Exit);   // the planted bug, reached with the FIFO's four bytes
        Assert.Contains("(in parse)", crash.Err);

        var endless = CliRunner.RunBounded("run", planted, "--device", "STM32F103", "--mmio-input", "/dev/zero");
        Assert.Equal(1, endless.Exit);
        Assert.Contains("MMIO input '/dev/zero' gives more than 67,108,864 bytes", endless.Err);
    }
}
