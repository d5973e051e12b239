using MemGate.Devices;
using MemGate.Emulation;

namespace MemGate.Tests.Cli;

/// <summary><c>--trace-instructions</c>, <c>--trace-blocks</c>, <c>--trace-exceptions</c>.</summary>
public sealed class RunTracesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-traces").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Fact]
    public void The_instruction_trace_has_a_line_per_instruction_with_the_registers_written()
    {
        string file = Path.Combine(_dir, "instructions.txt");
        var (exit, _, error) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--trace-instructions", file);
        Assert.True(exit == 0, error);
        var lines = File.ReadAllLines(file);
        Assert.Equal(193, lines.Length);   // the firmware's instructions (it takes no exception)
        Assert.All(lines, l => Assert.Matches("^0x0800[0-9a-f]{4}  [0-9a-f]{4,8}", l));
        Assert.Contains(lines, l => l.Contains("; SP=0x", StringComparison.Ordinal));   // the first push wrote SP
    }

    // An IT block skips instructions whose condition fails; the CPU engine reports none of them, but the run counts them,
    // and so does the trace: a line each, saying so. nvic.elf runs such blocks (and takes exceptions between them, whose
    // register changes are the entry's, not the instruction's before it).
    [Fact]
    public void The_instruction_trace_has_a_line_for_each_instruction_an_it_block_skips()
    {
        string file = Path.Combine(_dir, "instructions.txt");
        var (exit, _, error) = CliRunner.Run("run", Example("nvic.elf"), "--device", "STM32F103", "--trace-instructions", file);
        Assert.True(exit == 0, error);
        var lines = File.ReadAllLines(file);
        Assert.Contains($"{lines.Length:N0} instructions", error, StringComparison.Ordinal);
        Assert.Contains("0x0800021c  1846", lines.First(l => l.EndsWith("; condition failed", StringComparison.Ordinal)), StringComparison.Ordinal);
        // An interrupt taken right after a bl: the bl's line shows the LR it wrote, not the exception entry's EXC_RETURN.
        Assert.EndsWith("; LR=0x80002a1", lines.Single(l => l.StartsWith("0x0800029c", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_instruction_trace_disassembles_with_capstone()
    {
        using var disassembler = Disassembler.Create(DeviceTemplates.Load("STM32F103"));
        Skip.If(disassembler is null, "no Capstone library here (Debian's libcapstone4; ./test.sh installs it)");
        Assert.Equal("ldr r3, [pc, #8]", disassembler!.Disassemble([0x02, 0x4B], 0x0800_0040));
        string file = Path.Combine(_dir, "instructions.txt");
        CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--trace-instructions", file);
        Assert.Contains(File.ReadAllLines(file), l => l.Contains("bkpt #0xab", StringComparison.Ordinal));
    }

    [Fact]
    public void The_block_trace_lists_every_block_with_the_count_at_its_start()
    {
        string file = Path.Combine(_dir, "blocks.txt");
        var (exit, _, _) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--trace-blocks", file);
        Assert.Equal(0, exit);
        var lines = File.ReadAllLines(file).Select(l => l.Split(' ')).ToList();
        Assert.StartsWith("0x0800", lines[0][0], StringComparison.Ordinal);
        Assert.Equal("0", lines[0][1]);
        var counts = lines.Select(l => ulong.Parse(l[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(counts.Order(), counts);   // in execution order
        Assert.True(lines.Count > 20, $"only {lines.Count} blocks");
    }

    [Fact]
    public void The_exception_trace_shows_entries_and_returns_with_numbers()
    {
        string file = Path.Combine(_dir, "exceptions.txt");
        var (exit, _, _) = CliRunner.Run("run", Example("nvic.elf"), "--device", "STM32F103", "--trace-exceptions", file);
        Assert.Equal(0, exit);
        string text = File.ReadAllText(file);
        Assert.Matches(@"\d+ entry 11 SVCall from 0x0800[0-9a-f]{4} to 0x0800[0-9a-f]{4}", text);
        Assert.Matches(@"\d+ return 11 SVCall to 0x0800[0-9a-f]{4}", text);
        Assert.Matches(@"\d+ entry 53 IRQ37 ", text);
    }

    [Fact]
    public void Risc_v_trap_entries_and_mret_returns_are_traced()
    {
        var (exit, _, error) = CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "riscv-virt", "hello-rv32.elf"), "--device", "RV32",
            "--trace-exceptions", "-");
        Assert.Equal(0, exit);
        Assert.Matches(@"\d+ entry 7 machine-timer-interrupt from 0x8000[0-9a-f]{4} to 0x8000[0-9a-f]{4}", error);
        Assert.Matches(@"\d+ return 7 machine-timer-interrupt to 0x8000[0-9a-f]{4}", error);
    }

    [Fact]
    public void Aarch64_exception_entries_and_eret_returns_are_traced()
    {
        string file = Path.Combine(_dir, "exceptions.txt");
        CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "aarch64", "exceptions.elf"), "--device", "CortexA53", "--trace-exceptions", file);
        var lines = File.ReadAllLines(file);
        Assert.Matches(@"^\d+ entry 0 synchronous\(EC=0x15\) from 0x4008[0-9a-f]{4} to 0x4008[0-9a-f]{4}$", lines[0]);   // SVC
        Assert.Matches(@"^\d+ return 0 synchronous\(EC=0x15\) to 0x4008[0-9a-f]{4}$", lines[1]);
    }

    [Fact]
    public void An_unwritable_trace_file_is_a_clear_error()
    {
        var (exit, _, error) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--trace-blocks", Path.Combine(_dir, "missing", "blocks.txt"));
        Assert.Equal(1, exit);
        Assert.Contains("--trace-blocks", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
