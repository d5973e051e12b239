using System.Text.Json;
using MemGate.Cli;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Tests.Cli;

/// <summary><c>--dump-state</c> and <c>--dump-memory</c>: the machine's state after a run or a fault.</summary>
public sealed class RunStateDumpTests
{
    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Fact]
    public void The_state_after_a_run_shows_registers_the_nvic_and_peripheral_registers_by_name()
    {
        var (exit, _, error) = CliRunner.Run("run", Example("nvic.elf"), "--device", "STM32F103", "--dump-state");
        Assert.Equal(0, exit);
        Assert.Contains("memgate run: state of STM32F103 (cortex-m3) after 2,811 instructions", error, StringComparison.Ordinal);
        Assert.Matches(@"\bPC 0x0800[0-9A-F]{4}\b", error);   // where the firmware exited, not the machine's halt page
        Assert.Contains("interrupts (NVIC): current none; enabled 16 17 18 53;", error, StringComparison.Ordinal);
        Assert.Matches(@"USART1\.CR1 +0x4001380C  0x[0-9A-F]{8}", error);
        Assert.Contains("SCB.VTOR", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_state_in_json_is_one_line_with_registers_by_name()
    {
        var (exit, _, error) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--dump-state", "--json");
        Assert.Equal(0, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);   // the run's summary, then the state
        using var state = JsonDocument.Parse(lines[1]);
        var root = state.RootElement;
        Assert.Equal("STM32F103", root.GetProperty("device").GetString());
        Assert.Equal(193UL, root.GetProperty("instructions").GetUInt64());
        Assert.InRange(root.GetProperty("registers").GetProperty("PC").GetUInt64(), 0x0800_0000UL, 0x0801_FFFFUL);
        Assert.Equal("NVIC", root.GetProperty("interrupts").GetProperty("controller").GetString());
        var usart = root.GetProperty("peripherals").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "USART1");
        Assert.Equal(0x4001_3800UL, usart.GetProperty("base").GetUInt64());
        Assert.True(usart.GetProperty("registers").TryGetProperty("SR", out _));
    }

    [Fact]
    public void A_run_ending_at_a_limit_prints_the_state_too()
    {
        var (exit, _, error) = CliRunner.Run("run", Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "riscv", "traps-rv32.elf"), "--device", "RV32",
            "--max-instructions", "50", "--dump-state");
        Assert.Contains("registers:", error, StringComparison.Ordinal);
        Assert.Contains("interrupts (CLINT (mie/mip))", error, StringComparison.Ordinal);
        Assert.Equal(CliApp.InstructionLimit, exit);
    }

    // mip is shown as the firmware reads it: MTIP set while the CLINT's timer is pending (the engine's own mip holds 0).
    [Fact]
    public void The_riscv_dump_shows_mip_as_the_firmware_reads_it()
    {
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "riscv-virt", "hello-rv32.elf");
        var (_, _, error) = CliRunner.Run("run", hello, "--device", "RV32", "--stop-at", "0x80000064", "--dump-state");
        Assert.Contains("pending 7;", error, StringComparison.Ordinal);
        Assert.Matches(@"mip 0x0*80\b", error);
    }

    [Fact]
    public void Capture_after_a_fault_names_the_faulting_pc()
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
        flash.WriteUInt16(new GuestAddress(0x0800_0040), 0xDEFF);   // udf: no handler, the run ends with the fault
        Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 10));
        var state = machine.CaptureState();
        Assert.Equal(0x0800_0040UL, state.Registers.Single(r => r.Name == "PC").Value & ~1UL);
        Assert.Contains(state.Peripherals, p => p.Name == "NVIC");
    }

    [Fact]
    public void Dump_memory_writes_a_region_s_bytes()
    {
        string file = Path.Combine(Path.GetTempPath(), $"sram-{Guid.NewGuid():N}.bin");
        try
        {
            var (exit, _, error) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--dump-memory", $"sram:{file}");
            Assert.True(exit == 0, error);
            byte[] bytes = File.ReadAllBytes(file);
            Assert.Equal(20 * 1024, bytes.Length);
            Assert.Equal(43U, BitConverter.ToUInt32(bytes, 0));   // hello.elf's counter: 42 from .data, plus one
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("SRAMM:x.bin", "has no region 'SRAMM'", "Did you mean 'SRAM'?")]
    [InlineData("APB1:x.bin", "holds peripheral registers, not memory", null)]
    [InlineData("Periph_BitBand:x.bin", "is an alias of peripheral registers ('APB1'), not memory", null)]   // it printed a summary, then failed
    [InlineData("SRAM", "give REGION:FILE", null)]
    public void Bad_dump_memory_options_are_clear_errors(string spec, string message, string? suggestion)
    {
        var (exit, _, error) = CliRunner.Run("run", Example("hello.elf"), "--device", "STM32F103", "--dump-memory", spec);
        Assert.Equal(spec.Contains(':', StringComparison.Ordinal) ? CliApp.InvalidInput : CliApp.Usage, exit);   // malformed: usage
        Assert.Contains($"--dump-memory {spec}: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        if (suggestion is not null)
        {
            Assert.Contains(suggestion, error, StringComparison.Ordinal);
            Assert.DoesNotContain("Periph_BitBand", error, StringComparison.Ordinal);   // not offered as memory
        }
    }
}
