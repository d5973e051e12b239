using MemGate.Cli;
using System.Text.Json;

namespace MemGate.Tests.Cli;

public sealed class ProcessCommandTests
{
    private static readonly string Pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void List_json_has_typed_regions()
    {
        var (exit, output, _) = CliRunner.Run("ps", "list", "--pid", Pid, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Contains(json.RootElement.EnumerateArray(), r => r.GetProperty("class").GetString() == "Stack");
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.True(r.GetProperty("end").GetUInt64() > r.GetProperty("start").GetUInt64()));
    }

    // Piped output (not a terminal) is never wrapped: each mapping's path stays whole on its line.
    // A kernel thread has no user-space memory: the empty tables come with a note saying why. Skipped where none is
    // visible (a container's own PID namespace has none).
    [SkippableFact]
    public void A_process_without_mappings_is_named_as_one()
    {
        string? thread = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .FirstOrDefault(n => { try { return File.ReadAllText($"/proc/{n}/maps").Length == 0 && File.Exists($"/proc/{n}/comm"); } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } });
        Skip.If(thread is null, "no kernel thread is visible here");
        foreach (string command in (string[])["list", "analyze"])
        {
            var (exit, _, error) = CliRunner.Run("ps", command, "--pid", thread!);
            Assert.Equal(0, exit);
            Assert.Contains($"memgate ps {command}: warning: process {thread} (", error);
            Assert.Contains("has no user-space mappings: a kernel thread", error);
            // With --json, a warnings line (list said nothing at all).
            (exit, _, error) = CliRunner.Run("ps", command, "--pid", thread!, "--json");
            Assert.Equal(0, exit);
            using var line = System.Text.Json.JsonDocument.Parse(error);
            Assert.Equal($"ps {command}", line.RootElement.GetProperty("command").GetString());
            Assert.Contains("has no user-space mappings", line.RootElement.GetProperty("warnings")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    // A kernel thread searched: the note says why nothing was scanned.
    [SkippableFact]
    public void Searching_a_process_without_mappings_says_why_nothing_was_scanned()
    {
        string? thread = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .FirstOrDefault(n => { try { return File.ReadAllText($"/proc/{n}/maps").Length == 0 && File.Exists($"/proc/{n}/comm"); } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } });
        Skip.If(thread is null, "no kernel thread is visible here");
        var (exit, output, error) = CliRunner.Run("ps", "search", "--pid", thread!, "--string", "x");
        Assert.Equal(0, exit);
        Assert.Contains("0 B scanned", output);
        Assert.Contains("has no user-space mappings: a kernel thread", error);
    }

    // --json and --format text ask for two outputs: a usage error, not one of them silently.
    [Fact]
    public void Analyze_refuses_json_with_format_text()
    {
        var (exit, output, error) = CliRunner.Run("ps", "analyze", "--pid", Pid, "--format", "text", "--json");
        Assert.Equal((CliApp.Usage, ""), (exit, output));
        Assert.Contains("--json and --format text ask for different outputs", error);
    }

    // --format json asks for JSON as --json does: a failure is the JSON line too.
    [Fact]
    public void Analyze_format_json_reports_a_failure_as_json()
    {
        var (exit, _, error) = CliRunner.Run("ps", "analyze", "--pid", "999999999", "--format", "json");
        Assert.Equal(1, exit);
        using var json = JsonDocument.Parse(error);
        Assert.Equal("ps analyze", json.RootElement.GetProperty("command").GetString());
    }

    [Fact]
    public void List_does_not_wrap_paths_when_piped()
    {
        var (exit, output, _) = CliRunner.Run("ps", "list", "--pid", Pid);
        Assert.Equal(0, exit);
        string longest = MemGate.Processes.ProcessMaps.Read(Environment.ProcessId, false).Select(r => r.Path).MaxBy(p => p.Length)!;
        Assert.True(longest.Length > 60, longest);
        Assert.Contains(output.Split('\n'), line => line.Contains(longest, StringComparison.Ordinal));
    }

    // --detailed adds what its help and the README promise: RSS, PSS, private dirty and swap (PSS and swap were left out of the table).
    [Fact]
    public void List_detailed_shows_rss_pss_private_dirty_and_swap()
    {
        var (exit, output, _) = CliRunner.Run("ps", "list", "--pid", Pid, "--detailed");
        Assert.Equal(0, exit);
        string header = output.Split('\n').First(l => l.Contains("Start", StringComparison.Ordinal));
        Assert.Matches(@"RSS\s*│\s*PSS\s*│\s*Private dirty\s*│\s*Swap", header);
    }

    [Fact]
    public void Analyze_and_search_and_read_work_on_a_live_process()
    {
        var (exit, output, _) = CliRunner.Run("ps", "analyze", "--pid", Pid, "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.True(json.RootElement.GetProperty("smaps").GetProperty("Rss").GetUInt64() > 0);
        }

        // In native memory, so no garbage collection moves it while the scan runs.
        string marker = "memgate-cli-" + Guid.NewGuid().ToString("N");
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(marker);
        nint native = System.Runtime.InteropServices.Marshal.AllocHGlobal(bytes.Length);
        try
        {
            System.Runtime.InteropServices.Marshal.Copy(bytes, 0, native, bytes.Length);
            (exit, output, _) = CliRunner.Run("ps", "search", "--pid", Pid, "--string", marker, "--json", "--max", "50");
            Assert.Equal(0, exit);
            using var found = JsonDocument.Parse(output);
            var match = Assert.Single(found.RootElement.GetProperty("matches").EnumerateArray(), m => m.GetProperty("address").GetUInt64() == (ulong)native);
            Assert.StartsWith("rw", match.GetProperty("permissions").GetString());   // the heap block is writable
            // The bytes searched, as hex a program can use, and the pattern as given beside them.
            Assert.Equal(Convert.ToHexString(bytes).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b), found.RootElement.GetProperty("pattern").GetString());
            Assert.Equal($"\"{marker}\"", found.RootElement.GetProperty("description").GetString());

            (exit, output, _) = CliRunner.Run("ps", "read", "--pid", Pid, "--address", $"0x{native:x}", "--size", "12");
            Assert.Equal(0, exit);
            Assert.Contains("memgate-cli-", output);

            // Sizes read as everywhere else in the CLI: hex and units.
            (exit, output, _) = CliRunner.Run("ps", "read", "--pid", Pid, "--address", $"0x{native:x}", "--size", "0xC", "--json");
            Assert.Equal(0, exit);
            Assert.Equal(12, JsonDocument.Parse(output).RootElement.GetProperty("size").GetInt32());
            (exit, _, _) = CliRunner.Run("ps", "read", "--pid", Pid, "--address", $"0x{native:x}", "--size", "1KiB", "--json");
            Assert.True(exit is 0 or 1);   // 1 KiB from a small native block: readable or a clear error, never a usage error
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(native);
        }
    }

    // For a program: whether --max cut the search short, which mappings were skipped and why, and where in the mapped
    // file a match is (the ELF magic is at the start of the binaries this process maps).
    [Fact]
    public void Search_json_says_when_it_stopped_early_what_it_skipped_and_where_in_the_file_a_match_is()
    {
        var (exit, output, error) = CliRunner.Run("ps", "search", "--pid", Pid, "--hex", "7F 45 4C 46 02 01 01", "--region", ".so", "--max", "1", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("", error);   // skipped mappings are in the JSON, not on stderr
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(json.RootElement.GetProperty("skippedRegions").GetInt32(), json.RootElement.GetProperty("skipped").GetArrayLength());
        var match = Assert.Single(json.RootElement.GetProperty("matches").EnumerateArray());
        string path = match.GetProperty("path").GetString()!;
        ulong fileOffset = match.GetProperty("fileOffset").GetUInt64();
        using var file = File.OpenRead(path);
        file.Position = (long)fileOffset;
        var magic = new byte[7];
        file.ReadExactly(magic);
        Assert.Equal(new byte[] { 0x7F, 0x45, 0x4C, 0x46, 2, 1, 1 }, magic);

        (exit, output, _) = CliRunner.Run("ps", "search", "--pid", Pid, "--hex", "7F 45 4C 46 02 01 01", "--region", ".so", "--max", "1");
        Assert.Equal(0, exit);
        Assert.Contains("Stopped at --max 1: there may be more.", output);
    }

    [Fact]
    public unsafe void Write_and_dump_round_trip_through_a_live_process()
    {
        nint buffer = (nint)System.Runtime.InteropServices.NativeMemory.AllocZeroed(64);
        try
        {
            string address = $"0x{buffer:x}";
            var (exit, output, _) = CliRunner.Run("ps", "write", "--pid", Pid, "--address", address, "--hex", "DE AD BE EF");
            Assert.Equal((0, $"Wrote 4 bytes at {address} in process {Pid}.\n"), (exit, output.ReplaceLineEndings("\n")));
            Assert.Equal(0xEFBEADDEU, *(uint*)buffer);
            string file = Path.Combine(Directory.CreateTempSubdirectory("memgate-dump").FullName, "dump.bin");
            (exit, _, _) = CliRunner.Run("ps", "dump", "--pid", Pid, "--address", address, "--size", "8", "-o", file);
            Assert.Equal(0, exit);
            Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0 }, File.ReadAllBytes(file));
            (exit, _, string error) = CliRunner.Run("ps", "dump", "--pid", Pid, "--address", "0x10", "--size", "8", "-o", file + "2");
            Assert.Equal(1, exit);
            Assert.Contains("0x10 is in no mapping", error);
            Assert.False(File.Exists(file + "2") || File.Exists(file + "2.partial"));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free((void*)buffer);
        }
    }

    [Fact]
    public void No_such_process_is_invalid_input()
    {
        var (exit, _, error) = CliRunner.Run("ps", "list", "--pid", "2147483647");
        Assert.Equal(1, exit);
        Assert.Contains("no process 2147483647", error);
        (exit, _, error) = CliRunner.Run("ps", "search", "--pid", Pid);
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("exactly one of --hex, --string, --u32, --u64", error);
        (exit, _, error) = CliRunner.Run("ps", "search", "--pid", Pid, "--u32", "0xCAFEF00D", "--utf16");   // was ignored
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--utf16 encodes --string", error);
    }

    [Fact]
    public void Link_from_a_memfd_process_into_memgate_ps_receive_shares_the_pages()
    {
        using var source = MemGate.Tests.Processes.TargetProcess.Start("shared");
        using var receiver = MemGate.Tests.Processes.TargetProcess.StartCli("Process ", "ps", "receive");
        string at = $"0x{source.Address("address"):x}";

        var (exit, output, error) = CliRunner.Run("ps", "link", "--source", $"{source.Pid}", "--target", $"{receiver.Pid}", "--address", at, "--size", "8KiB", "--json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        ulong mapped = json.RootElement.GetProperty("targetAddress").GetUInt64();
        Assert.Equal(8192UL, json.RootElement.GetProperty("size").GetUInt64());
        Assert.StartsWith($"linked 8 KiB at 0x{mapped:x} from process {source.Pid} {at}", receiver.NextLine());

        MemGate.Processes.ProcessMemory.Write(receiver.Pid, mapped + 4096, [1, 2, 3, 4]);
        (exit, output, _) = CliRunner.Run("ps", "read", "--pid", $"{source.Pid}", "--address", $"0x{source.Address("address") + 4096:x}", "--size", "4");
        Assert.Equal(0, exit);
        Assert.Contains("01 02 03 04", output);
    }

    [Fact]
    public void Link_of_private_memory_is_refused_with_the_copy_offer()
    {
        using var source = MemGate.Tests.Processes.TargetProcess.Start("private");
        var (exit, _, error) = CliRunner.Run("ps", "link", "--source", $"{source.Pid}", "--target", Pid, "--address", $"0x{source.Address("address"):x}", "--size", "4096");
        Assert.NotEqual(0, exit);
        Assert.Contains("Linux cannot share private pages", error);
        Assert.Contains("--copy", error);
        // Address 0 would be taken by mmap as "anywhere".
        (exit, _, error) = CliRunner.Run("ps", "link", "--source", $"{source.Pid}", "--target", Pid, "--address", $"0x{source.Address("address"):x}", "--size", "4096",
            "--copy", "--target-address", "0");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--target-address 0", error);
    }

    [Fact]
    public void Read_write_and_dump_speak_json()
    {
        using var child = MemGate.Tests.Processes.TargetProcess.Start("private");
        string at = $"0x{child.Address("address"):x}";
        var (exit, output, _) = CliRunner.Run("ps", "write", "--pid", $"{child.Pid}", "--address", at, "--hex", "CAFE", "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(2, json.RootElement.GetProperty("size").GetInt64());
            Assert.False(json.RootElement.TryGetProperty("hex", out _));
        }
        (exit, output, _) = CliRunner.Run("ps", "read", "--pid", $"{child.Pid}", "--address", at, "--size", "9", "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("CAFE6976617465206D", json.RootElement.GetProperty("hex").GetString());   // "CAFE" over "private m"
            Assert.Equal(child.Address("address"), json.RootElement.GetProperty("address").GetUInt64());
        }
        string file = Path.Combine(Directory.CreateTempSubdirectory("memgate-dump").FullName, "d.bin");
        (exit, output, _) = CliRunner.Run("ps", "dump", "--pid", $"{child.Pid}", "--address", at, "--size", "4KiB", "-o", file, "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(file, json.RootElement.GetProperty("file").GetString());
        }
        Assert.Equal([0xCA, 0xFE, (byte)'i', (byte)'v'], File.ReadAllBytes(file)[..4]);
    }

    // Issues 6 and 7 together: firmware running in `memgate run --shared-memory` waits on a word in its
    // SRAM; the SRAM is linked into another process, which writes the word there; the firmware sees it.
    [Fact]
    public void Running_firmware_sees_a_write_made_in_another_process_through_a_link()
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "mailbox.elf");
        using var run = MemGate.Tests.Processes.TargetProcess.StartCli("waiting for the mailbox",
            "run", elf, "--device", "STM32F103", "--shared-memory", "--timeout", "60");
        string sram = Enumerable.Range(0, 8).Select(_ => run.ErrorLine()).First(l => l.StartsWith("memgate run: SRAM ", StringComparison.Ordinal));
        var address = System.Text.RegularExpressions.Regex.Match(sram, "--address 0x([0-9a-f]+) --size ([0-9]+)");
        Assert.True(address.Success, sram);
        ulong host = ulong.Parse(address.Groups[1].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        ulong size = ulong.Parse(address.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        ulong mailbox = MemGate.Firmware.FirmwareReader.Load(elf).Symbols.Single(s => s.Name == "mailbox").Address - 0x2000_0000;

        using var other = MemGate.Tests.Processes.TargetProcess.Start("receive");
        var link = MemGate.Processes.ProcessLink.Link(run.Pid, other.Pid, host, size);
        MemGate.Processes.ProcessMemory.Write(other.Pid, link.TargetAddress + mailbox, BitConverter.GetBytes(0xDEADBEEFu));

        Assert.Equal("mailbox: 0xDEADBEEF", run.NextLine());
    }

    // With --json the shared regions come as one JSON line, as the runs' (they were text lines among the JSON ones).
    [Fact]
    public void Shared_memory_with_json_reports_the_regions_as_a_json_line()
    {
        string elf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "mailbox.elf");
        using var run = MemGate.Tests.Processes.TargetProcess.StartCli("waiting for the mailbox",
            "run", elf, "--device", "STM32F103", "--shared-memory", "--timeout", "60", "--json");
        using var line = System.Text.Json.JsonDocument.Parse(run.ErrorLine());
        Assert.Equal("run", line.RootElement.GetProperty("command").GetString());
        var sram = line.RootElement.GetProperty("shared").EnumerateArray().Single(r => r.GetProperty("region").GetString() == "SRAM");
        Assert.Equal((0x2000_0000UL, 20480UL, run.Pid), (sram.GetProperty("guest").GetUInt64(), sram.GetProperty("size").GetUInt64(), sram.GetProperty("pid").GetInt32()));
        Assert.StartsWith($"memgate ps link --source {run.Pid} --address 0x{sram.GetProperty("host").GetUInt64():x} --size 20480", sram.GetProperty("link").GetString());
    }
}
