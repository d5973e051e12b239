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
        Assert.Matches(@"^memgate run: STM32F103 \(cortex-m3\), exit with code 0 after [\d.]+ ms", error);
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
        Assert.Contains("\"value\":72,\"access\":\"write\",\"region\":\"APB2\",\"peripheral\":\"USART1\",\"register\":\"DR\"", lines[1]); // 'H'
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
}
