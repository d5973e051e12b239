using MemGate.Cli;
using System.Diagnostics;
using System.Runtime.InteropServices;
using MemGate.Native;
using MemGate.Processes;

namespace MemGate.Tests.Cli;

/// <summary>Outputs are all or nothing and never replace what is not a regular file; process writes are all or nothing too.</summary>
public sealed class OutputSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-out").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Fifo(string name)
    {
        string path = Path.Combine(_dir, name);
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        return path;
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        string target = Path.Combine(_dir, "out.toml");
        File.WriteAllText(target, "old");
        var e = Assert.Throws<MemGateException>(() => OutputFile.Write(target, s =>
        {
            s.Write("half of the new"u8);
            throw new IOException($"No space left on device : '{((FileStream)s).Name}'");   // as .NET says it, of the temporary file
        }));
        Assert.Equal($"Output '{target}' could not be written (No space left on device); it was left as it was.", e.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData("convert", "STM32F103", "--to", "toml", "-o", "{target}")]
    [InlineData("map", "STM32F103", "--svg", "{target}")]
    [InlineData("import", "halucinator", "{fixture}", "-o", "{target}.yaml")]
    [InlineData("ps", "dump", "--pid", "{self}", "--address", "{address}", "--size", "16", "-o", "{target}")]
    public void Only_regular_files_are_replaced(params string[] args)
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator", "memory.yaml");
        byte[] source = new byte[16];
        var pin = GCHandle.Alloc(source, GCHandleType.Pinned);
        try
        {
            string Expand(string a, string target) => a.Replace("{target}", target, StringComparison.Ordinal).Replace("{fixture}", fixture, StringComparison.Ordinal)
                .Replace("{self}", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{address}", $"0x{pin.AddrOfPinnedObject():x}", StringComparison.Ordinal);

            string fifo = Fifo("fifo");
            File.Move(fifo, fifo + ".yaml");
            Fifo("fifo");
            var (exit, _, error) = CliRunner.RunBounded([.. args.Select(a => Expand(a, fifo))]);
            Assert.True(exit == 1, $"exit {exit}: {error}");

            string real = Path.Combine(_dir, "real");
            File.WriteAllText(real, "precious");
            File.WriteAllText(real + ".yaml", "precious");
            string link = Path.Combine(_dir, "link");
            File.CreateSymbolicLink(link, real);
            File.CreateSymbolicLink(link + ".yaml", real + ".yaml");
            (exit, _, error) = CliRunner.RunBounded([.. args.Select(a => Expand(a, link))]);
            Assert.True(exit == 1, $"exit {exit}: {error}");
            Assert.Contains("symbolic link", error);
            Assert.NotNull(new FileInfo(link).LinkTarget);
            Assert.Equal("precious", File.ReadAllText(real));

            // The same command into a regular file works and leaves nothing else behind.
            string plain = Path.Combine(_dir, "plain");
            (exit, _, error) = CliRunner.RunBounded([.. args.Select(a => Expand(a, plain))]);
            Assert.True(exit == 0, $"exit {exit}: {error}");
            Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(".partial", StringComparison.Ordinal));
        }
        finally
        {
            pin.Free();
        }
    }

    [Fact]
    public void A_failed_dump_leaves_no_file_and_touches_no_partial_file()
    {
        string target = Path.Combine(_dir, "dump.bin");
        File.WriteAllText(target + ".partial", "the user's own file");
        var (exit, _, _) = CliRunner.RunBounded("ps", "dump", "--pid", "999999999", "--address", "0x1000", "--size", "16", "-o", target);
        Assert.Equal(1, exit);
        Assert.False(File.Exists(target));
        Assert.Equal("the user's own file", File.ReadAllText(target + ".partial"));

        (exit, _, _) = CliRunner.RunBounded("ps", "dump", "--pid", "999999999", "--address", "0x1000", "--size", "0", "-o", target);
        Assert.Equal(CliApp.Usage, exit);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData("ps", "write", "--pid", "999999999", "--address", "0x1000", "--hex", "")]
    [InlineData("ps", "write", "--pid", "1", "--address", "0x1000", "--file", "{empty}")]
    [InlineData("ps", "search", "--pid", "{self}", "--hex", "DE AD", "--max", "-1")]
    [InlineData("ps", "search", "--pid", "{self}", "--hex", "DE AD", "--max", "0")]
    public void Empty_or_meaningless_values_are_errors_not_successes(params string[] args)
    {
        string empty = Path.Combine(_dir, "empty.bin");
        File.WriteAllBytes(empty, []);
        var (exit, output, error) = CliRunner.RunBounded([.. args.Select(a => a.Replace("{empty}", empty, StringComparison.Ordinal)
            .Replace("{self}", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))]);
        Assert.True(exit is CliApp.InvalidInput or CliApp.Usage, $"exit {exit}: {output} {error}");   // bad input or usage, never success
        Assert.DoesNotContain("Wrote", output);
    }

    [Theory]
    [InlineData("--save-snapshot", "{fw}", "--at", "50", "that file is an input")]
    [InlineData("--trace-blocks", "{fw}", "--runs", "1", "that file is an input")]
    [InlineData("--dump-memory", "SRAM:{fw}", "--runs", "1", "that file is an input")]
    [InlineData("--coverage", "{dir}/same.txt", "--trace-blocks", "{dir}/same.txt", "--coverage writes that file too")]
    [InlineData("--save-snapshot", "{linked}/fw.elf", "--at", "50", "that file is an input")]   // the same file through a linked folder
    [InlineData("--coverage", "{linked}/same.txt", "--trace-blocks", "{dir}/same.txt", "--coverage writes that file too")]
    public void Outputs_that_would_overwrite_an_input_or_each_other_are_refused_before_the_run(string option, string value, string other, string otherValue, string message)
    {
        string firmware = Path.Combine(_dir, "fw.elf");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf"), firmware);
        byte[] before = File.ReadAllBytes(firmware);
        string linked = Path.Combine(Directory.CreateTempSubdirectory("memgate-linked").FullName, "folder");
        Directory.CreateSymbolicLink(linked, _dir);
        string Expand(string v) => v.Replace("{fw}", firmware, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal).Replace("{linked}", linked, StringComparison.Ordinal);
        var (exit, output, error) = CliRunner.RunBounded("run", firmware, "--device", "STM32F103", option, Expand(value), other, Expand(otherValue));
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal("", output);   // the firmware did not run
        Assert.Equal(before, File.ReadAllBytes(firmware));
        Assert.Equal(["fw.elf"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("c.yml")]      // the configuration itself
    [InlineData("syms.yml")]   // a file it includes
    public void Import_does_not_write_over_the_configuration_it_reads(string target)
    {
        File.WriteAllText(Path.Combine(_dir, "c.yml"), "include:\n  - syms.yml\nmemory_map:\n  ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}\n");
        File.WriteAllText(Path.Combine(_dir, "syms.yml"), "symbols:\n  0x20000000: buffer\n");
        var before = Directory.GetFiles(_dir).ToDictionary(f => f, File.ReadAllText);
        var (exit, output, error) = CliRunner.RunBounded("import", "fuzzware", Path.Combine(_dir, "c.yml"), "-o", Path.Combine(_dir, target));
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains($"--output {Path.Combine(_dir, target)}: that file is an input", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.Equal(before, Directory.GetFiles(_dir).ToDictionary(f => f, File.ReadAllText));
    }

    [Fact]
    public void Convert_does_not_write_over_the_device_file_it_reads()
    {
        string device = Path.Combine(_dir, "d.toml");
        File.WriteAllText(device, "[device]\nname = \"D\"\n\n[[regions]]\nname = \"RAM\"\nguest_address = \"0x20000000\"\nsize = \"4KB\"\ntype = \"ram\"\n");
        string text = File.ReadAllText(device);
        var (exit, _, error) = CliRunner.RunBounded("convert", device, "--to", "toml", "-o", device);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("that file is an input", error, StringComparison.Ordinal);
        Assert.Equal(text, File.ReadAllText(device));
    }

    [Fact]
    public void A_device_files_own_firmware_file_is_an_input_too()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "halucinator");
        foreach (string name in (string[])["memory.yaml", "firmware.bin"])
        {
            File.Copy(Path.Combine(source, name), Path.Combine(_dir, name));
        }
        string device = Path.Combine(_dir, "device.toml");
        Assert.Equal(0, CliRunner.Run("import", "halucinator", Path.Combine(_dir, "memory.yaml"), "-o", device).Exit);
        string firmware = Path.Combine(_dir, "firmware.bin");
        byte[] before = File.ReadAllBytes(firmware);
        var (exit, _, error) = CliRunner.RunBounded("run", "--device", device, "--coverage", firmware, "--max-instructions", "10");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("that file is an input", error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(firmware));
    }

    [Theory]
    [InlineData("--dump-memory", "SRAM:{dir}/missing/sram.bin")]
    [InlineData("--coverage", "{dir}/missing/blocks.txt")]
    [InlineData("--save-snapshot", "{dir}/missing/x.mgsnap")]
    public void An_output_into_a_missing_folder_is_refused_before_the_run_naming_the_folder(string option, string value)
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        string[] args = ["run", elf, "--device", "STM32F103", option, value.Replace("{dir}", _dir, StringComparison.Ordinal), .. option == "--save-snapshot" ? ["--at", "50"] : Array.Empty<string>()];
        var (exit, output, error) = CliRunner.RunBounded(args);
        Assert.Equal(CliApp.InvalidInput, exit);
        Assert.Contains($"folder '{Path.Combine(_dir, "missing")}' does not exist", error, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("run", "--timeout", "99999999999999", "give at most")]
    [InlineData("fuzz", "--duration", "99999999999999", "give at most")]
    [InlineData("fuzz", "--jobs", "100000", "give 1 to")]
    [InlineData("run", "--max-interrupts", "99999999999999999999999", "as a whole number")]
    public void Out_of_range_numbers_are_usage_errors_in_plain_words(string command, string option, string value, string message)
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        string[] args = command == "fuzz" ? ["fuzz", elf, "--device", "STM32F103", "--corpus", _dir, option, value] : ["run", elf, "--device", "STM32F103", option, value];
        var (exit, _, error) = CliRunner.RunBounded(args);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "run", "{elf}", "--device", "STM32F103", "--address", "0x08000000" }, 1, "a load address is given only for a raw binary")]
    [InlineData(new[] { "run", "{elf}", "--device", "STM32F103", "--stop-at", "0x99999999999" }, 1, "no region of device 'STM32F103' holds that address")]
    [InlineData(new[] { "run", "--from-snapshot", "{dir}" }, 1, "it is a folder, not a snapshot file")]
    [InlineData(new[] { "validate", "{dir}" }, 1, "it is a folder")]
    [InlineData(new[] { "image", "{rv32}", "--device", "STM32F103" }, 1, "is a 32-bit RISC-V ELF")]
    [InlineData(new[] { "ps", "write", "--pid", "1", "--address", "0x1000", "--hex", "zz" }, 2, "'zz' is not whole bytes in hex")]
    [InlineData(new[] { "allocate", "-r", "A@0xFFFFF000:8KiB:rw" }, 1, "past the end of the 32-bit address space (0xFFFFFFFF).")]
    public void Values_that_cannot_be_used_get_a_plain_message(string[] args, int code, string message)
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        string rv32 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "riscv-virt", "hello-rv32.elf");
        var (exit, output, error) = CliRunner.RunBounded([.. args.Select(a => a.Replace("{elf}", elf, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal).Replace("{rv32}", rv32, StringComparison.Ordinal))]);
        Assert.True(exit == code, $"exit {exit}: {output} {error}");
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("-1")]
    [InlineData("Infinity")]
    public void Run_timeouts_must_be_real_durations(string timeout)
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var (exit, _, error) = CliRunner.RunBounded("run", elf, "--device", "STM32F103", "--timeout", timeout);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Matches("--timeout|libunicorn", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_writes_across_a_read_only_page_or_a_hole_write_nothing(bool hole)
    {
        ulong page = (ulong)Environment.SystemPageSize;
        // Far below where the kernel places new mappings (top-down from the mmap base): a page unmapped
        // here is not reused by the runtime while the test runs. A hole among the runtime's own mappings
        // was (once the JIT put code there, this test's write landed in it and the test host crashed).
        nint memory = 0;
        for (ulong candidate = 0x2000_0000_0000; memory == 0 && candidate < 0x2100_0000_0000; candidate += 0x10_0000_0000)
        {
            nint got = Libc.Mmap((nint)candidate, (nuint)(2 * page), Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapFixedNoReplace, -1, 0);
            memory = got == (nint)candidate ? got : 0;
        }
        Assert.NotEqual(0, memory);
        try
        {
            _ = hole ? Libc.Munmap(memory + (nint)page, (nuint)page) : Libc.Mprotect(memory + (nint)page, (nuint)page, Libc.ProtRead);
            ulong at = (ulong)memory + page - 4;
            var e = Assert.Throws<ProcessAccessException>(() => ProcessMemory.Write(Environment.ProcessId, at, [1, 2, 3, 4, 5, 6, 7, 8]));
            Assert.Contains("nothing was written", e.Message);
            Assert.Equal(0, Marshal.ReadInt32(memory + (nint)page - 4));

            ProcessMemory.Write(Environment.ProcessId, at, [1, 2, 3, 4]);   // the writable part alone is fine
            Assert.Equal(0x04030201, Marshal.ReadInt32(memory + (nint)page - 4));
        }
        finally
        {
            Libc.Munmap(memory, (nuint)(hole ? page : 2 * page));   // never the hole: it is not ours any more
        }
    }
}
