using MemGate.Cli;

namespace MemGate.Tests.Cli;

public sealed class RunCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Theory]
    [InlineData("hello.elf")]
    [InlineData("hello.hex")]
    [InlineData("hello.srec")]
    public void Runs_the_example_in_every_format(string file)
    {
        var (exit, output, error) = CliRunner.Run("run", Fixture(file), "--device", "STM32F103", "--timeout", "10");
        Assert.Equal(0, exit);
        Assert.Equal("Hello from STM32F103!\n", output);
        Assert.Matches(@"^memgate run: STM32F103 \(cortex-m3\), exit with code 0 in [\d.]+ ms", error);
    }

    // The benchmark firmware's start-up code copies .data and the loop selector lives in flash, so a plain
    // run executes both loops it claims (2 M xorshift rounds, 512,000 stores), not an empty main.
    [Fact]
    public void The_benchmark_firmware_runs_its_loops()
    {
        var (exit, _, error) = CliRunner.Run("run", Fixture("loops.elf"), "--device", "STM32F103", "--json", "--timeout", "60");
        Assert.Equal(0, exit);
        using var json = System.Text.Json.JsonDocument.Parse(error);
        Assert.InRange(json.RootElement.GetProperty("instructions").GetUInt64(), 12_000_000UL, 12_200_000UL);
    }

    [Fact]
    public void The_mmio_trace_lists_the_usart_registers_the_driver_used()
    {
        string trace = Path.Combine(Directory.CreateTempSubdirectory("memgate-run").FullName, "mmio.jsonl");
        var (exit, _, _) = CliRunner.Run("run", Fixture("hello.elf"), "--device", "STM32F103", "--trace-mmio", trace);
        Assert.Equal(0, exit);
        var lines = File.ReadAllLines(trace);
        Assert.Equal(2 * "Hello from STM32F103!\n".Length, lines.Length);           // one SR poll and one DR write per character
        Assert.Contains("\"access\":\"read\",\"region\":\"APB2\",\"peripheral\":\"USART1\",\"register\":\"SR\"", lines[0]);
        Assert.Contains("\"value\":72,\"valueHex\":\"0x48\",\"access\":\"write\",\"region\":\"APB2\",\"peripheral\":\"USART1\",\"register\":\"DR\"", lines[1]); // 'H'
        Assert.Matches("\"pc\":13421\\d+", lines[0]);                               // a PC inside flash
    }

    [Fact]
    public void Unsupported_devices_and_missing_files_are_invalid_input()
    {
        var (exit, _, error) = CliRunner.Run("run", Fixture("hello.elf"), "--device", "ESP32");
        Assert.Equal(1, exit);
        Assert.Contains("firmware runs on cortex-m3 and cortex-m4", error);
        Assert.Contains("xtensa", error, StringComparison.OrdinalIgnoreCase);
        (exit, _, error) = CliRunner.Run("run", "/nonexistent.elf", "--device", "STM32F103");
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", error);
    }

    [Fact]
    public void Json_summaries_report_the_run_and_the_fault()
    {
        var (exit, output, error) = CliRunner.Run("run", Fixture("riscv-virt/hello-rv32.elf"), "--device", "RV32", "--json");
        Assert.Equal((0, "Hello from RV32 virt!\nticks: 3\n"), (exit, output.ReplaceLineEndings("\n")));
        using (var json = System.Text.Json.JsonDocument.Parse(error))
        {
            Assert.Equal("exit", json.RootElement.GetProperty("reason").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("exitCode").GetInt32());
            Assert.InRange(json.RootElement.GetProperty("instructions").GetUInt64(), 100UL, 2000UL);   // it sleeps in WFI between ticks
        }

        (exit, _, error) = CliRunner.Run("run", Fixture("riscv-virt/hello-rv32.elf"), "--device", "RV32", "--json", "--max-instructions", "5");
        Assert.Equal(CliApp.InstructionLimit, exit);
        using (var json = System.Text.Json.JsonDocument.Parse(error))
        {
            Assert.Equal("instruction limit", json.RootElement.GetProperty("reason").GetString());
            Assert.Equal("instruction-limit", json.RootElement.GetProperty("outcome").GetString());
            Assert.Equal(CliApp.InstructionLimit, json.RootElement.GetProperty("status").GetInt32());
            Assert.False(json.RootElement.TryGetProperty("exitCode", out _));   // the firmware did not exit
            Assert.Equal(5UL, json.RootElement.GetProperty("instructions").GetUInt64());
        }

        // A raw STM32 image whose reset code stores to flash: SP, reset vector, then
        // ldr r0, [pc, #4]; movs r1, #1; str r1, [r0]; b .; .word 0x08000100
        string raw = Path.Combine(Directory.CreateTempSubdirectory("memgate-run").FullName, "flash-write.bin");
        File.WriteAllBytes(raw, [.. BitConverter.GetBytes(0x2000_1000u), .. BitConverter.GetBytes(0x0800_0009u),
            0x01, 0x48, 0x01, 0x21, 0x01, 0x60, 0xFE, 0xE7, .. BitConverter.GetBytes(0x0800_0100u)]);
        (exit, _, error) = CliRunner.Run("run", raw, "--address", "0x08000000", "--device", "STM32F103", "--json");
        Assert.Equal(CliApp.GuestFault, exit);
        using (var json = System.Text.Json.JsonDocument.Parse(error))
        {
            var fault = json.RootElement.GetProperty("fault");
            Assert.Equal("fault", json.RootElement.GetProperty("outcome").GetString());
            Assert.Equal((0x0800_000CUL, 0x0800_0100UL, "Write"), (fault.GetProperty("programCounter").GetUInt64(), fault.GetProperty("address").GetUInt64(), fault.GetProperty("access").GetString()));
        }
    }

    // Fuzzing-style repeated runs: memory comes back from a snapshot between runs, so each run starts
    // from the loaded image and prints the same; only the pages the firmware wrote are copied back.
    [SkippableFact]
    public void Repeated_runs_restore_memory_between_runs()
    {
        Requires.WriteTracking();
        var (exit, output, error) = CliRunner.Run("run", Fixture("systick.elf"), "--device", "STM32F103", "--runs", "3", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("ticks: 5\nticks: 5\nticks: 5\n", output.ReplaceLineEndings("\n"));
        // JSON Lines: one compact object per line, one line per run.
        var reports = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.Clone()).ToList();
        Assert.Equal(3, reports.Count);
        Assert.False(reports[0].TryGetProperty("restoredPages", out _));
        Assert.All(reports.Skip(1), r => Assert.InRange(r.GetProperty("restoredPages").GetUInt64(), 1UL, 4UL));
        Assert.Single(reports.Select(r => r.GetProperty("instructions").GetUInt64()).Distinct());
    }
}
