using MemGate.Cli;
using System.Text.Json;

namespace MemGate.Tests.Cli;

public class AllocateCommandTests
{
    [Fact]
    public void Prints_the_translation_table()
    {
        var (exit, output, error) = CliRunner.Run("allocate", "-r", "Flash@0x08000000:128KiB:rx", "-r", "SRAM@0x20000000:20KiB:rw", "--touch");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Matches(@"Flash\s+│ 0x08000000\s+│ 0x0801FFFF\s+│ 128 KiB │ r-x\s+│ flash │ 0x[0-9a-f]+", output);
        Assert.Matches(@"SRAM\s+│ 0x20000000\s+│ 0x20004FFF\s+│\s+20 KiB │ rw-\s+│ ram\s+│ 0x[0-9a-f]+", output);
        Assert.Contains("148 KiB backed, 20 KiB resident", output);
    }

    [Fact]
    public void Json_has_numbers_as_numbers()
    {
        var (exit, output, _) = CliRunner.Run("allocate", "-r", "SRAM@0x20000000:0x1B", "--json", "--width", "64");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("region-table", json.RootElement.GetProperty("layout").GetString());
        var region = json.RootElement.GetProperty("regions")[0];
        Assert.Equal(0x2000_0000UL, region.GetProperty("start").GetUInt64());
        Assert.Equal(27UL, region.GetProperty("size").GetUInt64());      // 0x1B is 27 bytes
        Assert.Equal("rw", region.GetProperty("permissions").GetString());
        Assert.True(region.GetProperty("host").GetUInt64() > 0);
    }

    [Theory]
    [InlineData("Flash@0x08000000:12QB", "unknown unit 'QB'")]
    [InlineData("Flash@nowhere:4KB", "address 'nowhere'")]
    [InlineData("Flash@0x0:4KB:rq", "letter 'q'")]
    [InlineData("Flash", "expected NAME@ADDRESS:SIZE")]
    [InlineData("Top@0xFFFFF000:8KiB", "past the end of the 32-bit address space")]
    [InlineData("Zero@0x0:0", "Region 'Zero' at 0x00000000 has size 0.")]
    [InlineData("@0x0:4KiB", "expected NAME@ADDRESS:SIZE")]   // not a response file named "0x0:4KiB"
    public void Bad_regions_are_refused(string region, string message)
    {
        // A malformed region is a usage error (2); one the address space cannot hold is bad input (1).
        var (exit, output, error) = CliRunner.Run("allocate", "-r", region);
        Assert.Equal(message.StartsWith("past the end", StringComparison.Ordinal) ? CliApp.InvalidInput : CliApp.Usage, exit);
        Assert.Equal("", output);
        Assert.Contains(message, error);
        Assert.DoesNotContain("(Parameter", error);   // the library's argument name is not the user's business
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("7")]
    [InlineData("65")]
    public void An_address_width_out_of_range_is_a_usage_error(string width)
    {
        var (exit, output, error) = CliRunner.Run("allocate", "-r", "A@0:4KiB", "--width", width);
        Assert.Equal((CliApp.Usage, ""), (exit, output));
        Assert.Contains($"--width {width}: give an address width from 8 to 64 bits.", error);
    }

    [Fact]
    public void Overlap_names_both_regions()
    {
        var (exit, _, error) = CliRunner.Run("allocate", "-r", "Flash@0x08000000:128KiB:rx", "-r", "Boot@0x08010000:4KiB:rx");
        Assert.Equal(1, exit);
        Assert.Contains("'Boot'", error);
        Assert.Contains("'Flash'", error);
        Assert.Contains("[0x08010000–0x08010FFF]", error);
    }

    [Fact]
    public void Usage_errors_exit_with_2()
    {
        var (exit, _, error) = CliRunner.Run("allocate", "--bogus");
        Assert.Equal(2, exit);
        Assert.Contains("--bogus", error);
        Assert.Equal(2, CliRunner.Run("no-such-command").Exit);
    }

    [Fact]
    public void Version_and_help_work()
    {
        var (exit, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
        var help = CliRunner.Run("allocate", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("NAME@ADDRESS:SIZE", help.Out);
    }
}
