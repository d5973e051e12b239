using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Cli;

/// <summary>Stop points (--stop-at) and basic-block coverage (--coverage).</summary>
public sealed class StopAndCoverageTests
{
    private static string Printf => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "printf.elf");   // newlib, with a main

    [Fact]
    public void A_run_stops_before_main_runs_and_goes_on_from_there_to_the_same_end()
    {
        var image = FirmwareReader.Load(Printf);
        ulong main = image.Symbols.Single(s => s.Name == "main").Address & ~1UL;
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), output, new FirmwareMachineOptions { ErrorOutput = TextWriter.Null });
        machine.Load(image);
        machine.CollectCoverage();
        machine.StopAt(main, "main");
        var stopped = machine.Run(maxInstructions: 1_000_000);
        Assert.Equal((RunOutcome.Reached, "reached main"), (stopped.Outcome, stopped.Reason));
        Assert.Equal("", output.ToString());
        var registers = machine.Registers;
        Assert.Equal(main, registers.Read(registers.IndexOf("PC")) & ~1UL);
        Assert.DoesNotContain(main, machine.CoveredBlocks);   // main's first block has not run

        var finished = machine.Continue(maxInstructions: 1_000_000);
        Assert.Equal((RunOutcome.Exit, 3), (finished.Outcome, finished.ExitCode));
        Assert.StartsWith("printf from newlib: 2 + 3 = 5\n", output.ToString(), StringComparison.Ordinal);
        Assert.Contains(main, machine.CoveredBlocks);

        // From reset without the stop point's pass, the same number of instructions: stop + rest = whole.
        var whole = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null, new FirmwareMachineOptions { ErrorOutput = TextWriter.Null });
        using (whole)
        {
            whole.Load(image);
            Assert.Equal(whole.Run(maxInstructions: 1_000_000).Instructions, stopped.Instructions + finished.Instructions);
        }
    }

    [Fact]
    public void The_cli_stops_at_a_symbol_with_exit_0_and_writes_the_blocks_it_ran()
    {
        string folder = Directory.CreateTempSubdirectory("memgate-cov").FullName;
        string coverage = Path.Combine(folder, "blocks.txt");
        var (exit, _, error) = CliRunner.Run("run", Printf, "--device", "STM32F103", "--stop-at", "main", "--coverage", coverage, "--json");
        Assert.True(exit == 0, error);
        Assert.Contains("\"outcome\":\"reached\"", error, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"reached main\"", error, StringComparison.Ordinal);
        string[] lines = File.ReadAllLines(coverage);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches("^0x[0-9a-f]+$", l));
        Assert.Contains($"\"blocks\":{lines.Length}", error, StringComparison.Ordinal);
        Assert.Equal(lines.Order(StringComparer.Ordinal).Count(), lines.Distinct().Count());
    }

    [Fact]
    public void Drcov_coverage_holds_the_same_blocks_with_their_sizes_for_disassembler_plugins()
    {
        string folder = Directory.CreateTempSubdirectory("memgate-drcov").FullName;
        string text = Path.Combine(folder, "blocks.txt"), drcov = Path.Combine(folder, "blocks.drcov");
        Assert.Equal(3, CliRunner.Run("run", Printf, "--device", "STM32F103", "--coverage", text).Exit);
        Assert.Equal(3, CliRunner.Run("run", Printf, "--device", "STM32F103", "--coverage", drcov).Exit);
        var expected = File.ReadAllLines(text).Select(l => Convert.ToUInt64(l, 16)).Order().ToList();

        byte[] file = File.ReadAllBytes(drcov);
        int tableAt = System.Text.Encoding.ASCII.GetString(file).IndexOf("BB Table: ", StringComparison.Ordinal);
        string[] header = System.Text.Encoding.ASCII.GetString(file, 0, tableAt).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("DRCOV VERSION: 2", header[0]);
        Assert.Equal("Module Table: version 2, count 1", header[2]);
        Assert.Equal(" 0, 0x0000000008000000, 0x0000000008020000, 0x0000000000000000, 0x00000000, 0x00000000, printf.elf", header[4]);   // flash, named as the image
        int lineEnd = Array.IndexOf(file, (byte)'\n', tableAt);
        int count = int.Parse(System.Text.Encoding.ASCII.GetString(file, tableAt + 10, lineEnd - tableAt - 10).Split(' ')[0]);
        Assert.Equal(expected.Count, count);
        Assert.Equal(lineEnd + 1 + 8 * count, file.Length);
        var blocks = Enumerable.Range(0, count).Select(i => file.AsSpan(lineEnd + 1 + 8 * i, 8).ToArray())
            .Select(r => (Address: 0x0800_0000UL + BitConverter.ToUInt32(r, 0), Size: BitConverter.ToUInt16(r, 4), Module: BitConverter.ToUInt16(r, 6))).ToList();
        Assert.Equal(expected, blocks.Select(b => b.Address).ToList());
        Assert.All(blocks, b => Assert.True(b.Size is >= 2 and < 0x1000 && b.Module == 0, $"0x{b.Address:x}: size {b.Size}, module {b.Module}"));

        var (exit, _, error) = CliRunner.Run("run", Printf, "--device", "STM32F103", "--coverage", text, "--coverage-format", "lcov");
        Assert.Equal(2, exit);
        Assert.Contains("lcov", error);
    }

    [Fact]
    public void An_unknown_stop_symbol_is_refused_with_the_closest_name()
    {
        var (exit, _, error) = CliRunner.Run("run", Printf, "--device", "STM32F103", "--stop-at", "mainx");
        Assert.Equal(1, exit);
        Assert.Contains("Did you mean 'main'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_hooks_skip_a_function_with_a_result_and_stop_where_the_file_says()
    {
        var image = FirmwareReader.Load(Printf);
        ulong Address(string name) => image.Symbols.Single(s => s.Name == name).Address & ~1UL;
        string text = MemGate.Devices.Config.DeviceConfigWriter.Write(DeviceTemplates.Load("STM32F103"), MemGate.Devices.Config.DeviceConfigFormat.Toml)
            + $"\n[[hooks]]\nat = \"0x{Address("printf"):X}\"\naction = \"return\"\nvalue = \"0\"\n";
        var device = MemGate.Devices.Config.DeviceConfigReader.Parse(text, MemGate.Devices.Config.DeviceConfigFormat.Toml, "d.toml");
        var output = new StringWriter();
        using (var machine = FirmwareMachine.Create(device, output, new FirmwareMachineOptions { ErrorOutput = TextWriter.Null }))
        {
            machine.Load(image);
            var result = machine.Run(maxInstructions: 1_000_000);
            Assert.Equal((RunOutcome.Exit, 3), (result.Outcome, result.ExitCode));
            Assert.DoesNotContain("printf from newlib", output.ToString(), StringComparison.Ordinal);   // printf returned at once
        }
        var stop = MemGate.Devices.Config.DeviceConfigReader.Parse(text.Replace("action = \"return\"\nvalue = \"0\"", "action = \"stop\"", StringComparison.Ordinal),
            MemGate.Devices.Config.DeviceConfigFormat.Toml, "d.toml");
        using var stopping = FirmwareMachine.Create(stop, TextWriter.Null, new FirmwareMachineOptions { ErrorOutput = TextWriter.Null });
        stopping.Load(image);
        Assert.Equal(RunOutcome.Reached, stopping.Run(maxInstructions: 1_000_000).Outcome);
    }
}
