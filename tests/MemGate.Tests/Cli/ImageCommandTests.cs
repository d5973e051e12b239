using System.Text.Json;

namespace MemGate.Tests.Cli;

public sealed class ImageCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Fact]
    public void Shows_segments_entry_and_fit()
    {
        var (exit, output, error) = CliRunner.Run("image", Fixture("hello.elf"), "--device", "STM32F103");
        Assert.Equal((0, ""), (exit, error));
        Assert.Contains("Elf, 232 B in 2 segment(s), entry 0x08000041", output);
        Assert.Contains("Fits STM32F103", output);
        // The symbols it counts are listed, by address.
        Assert.Matches(@"Reset_Handler\s+│ 0x08000041 │\s+136 │ function", output);
        Assert.True(output.IndexOf("vectors", StringComparison.Ordinal) < output.IndexOf("Reset_Handler", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_lists_segments_and_symbols()
    {
        var (exit, output, _) = CliRunner.Run("image", Fixture("hello.srec"), "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("Srec", json.RootElement.GetProperty("format").GetString());
        Assert.Equal(0x0800_0041UL, json.RootElement.GetProperty("entryPoint").GetUInt64());
        Assert.Equal(0x0800_0000UL, json.RootElement.GetProperty("segments")[0].GetProperty("address").GetUInt64());
    }

    [Fact]
    public void An_image_that_does_not_fit_is_invalid_input()
    {
        var (exit, _, error) = CliRunner.Run("image", Fixture("hello.bin"), "--address", "0x30000000", "--device", "STM32F103");
        Assert.Equal(1, exit);
        Assert.Contains("raw image: [0x30000000, 0x300000E8) does not fit the device: address 0x30000000 is in no region", error);
    }

    // --json failures give the line of a text image's bad record as a field, and a binary image's part as the field.
    [Fact]
    public void A_bad_record_is_reported_with_its_line_in_json()
    {
        string file = Path.Combine(Path.GetTempPath(), $"memgate-badsum-{Guid.NewGuid():N}.hex");
        File.WriteAllText(file, ":02000000AABB99\n:02000002AABB99\n:00000001FF\n");
        try
        {
            var (exit, _, error) = CliRunner.Run("image", file, "--json");
            Assert.Equal(1, exit);
            using var json = JsonDocument.Parse(error);
            var row = json.RootElement.GetProperty("errors")[0];
            Assert.Equal((file, 2), (row.GetProperty("file").GetString(), row.GetProperty("line").GetInt32()));
            Assert.Contains("checksum", row.GetProperty("message").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
