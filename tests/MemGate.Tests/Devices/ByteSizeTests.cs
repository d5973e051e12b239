using MemGate.Devices;

namespace MemGate.Tests.Devices;

public class ByteSizeTests
{
    [Theory]
    [InlineData("512", 512UL)]
    [InlineData("4KB", 4096UL)]
    [InlineData("4 KiB", 4096UL)]
    [InlineData("64MB", 64UL << 20)]
    [InlineData("1GiB", 1UL << 30)]
    [InlineData("0x1B", 27UL)]
    [InlineData("0x1b", 27UL)]
    [InlineData("0x0800_0000", 0x0800_0000UL)]
    [InlineData("2g", 2UL << 30)]
    public void Parses_sizes(string text, ulong expected) => Assert.Equal(expected, ByteSize.Parse(text));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("KB", "expected a number")]
    [InlineData("12QB", "unknown unit 'QB'")]
    [InlineData("0x", "hexadecimal")]
    [InlineData("0xZZ", "hexadecimal")]
    [InlineData("99999999999TB", "too large")]
    [InlineData("-4KB", "negative")]
    [InlineData("99999999999999999999999", "too large for 64 bits")]
    [InlineData("0x1_0000_0000_0000_0000", "too large for 64 bits")]
    [InlineData("0x-1", "negative")]
    public void Rejects_bad_sizes_saying_why(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => ByteSize.Parse(text));
        Assert.Contains(reason, e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    [Theory]
    [InlineData(131072UL, "128KiB", "128 KiB")]
    [InlineData(1UL << 31, "2GiB", "2 GiB")]
    [InlineData(1536UL, "1536", "1.5 KiB")]
    [InlineData(27UL, "27", "27 B")]
    public void Formats_sizes(ulong bytes, string exact, string human)
    {
        Assert.Equal(exact, ByteSize.Format(bytes));
        Assert.Equal(human, ByteSize.Human(bytes));
        Assert.Equal(bytes, ByteSize.Parse(ByteSize.Format(bytes)));
    }

    // Memory maps show sizes exactly: a 0x1001-byte region read as "4 KiB" beside its end address.
    [Theory]
    [InlineData(16UL, "16 B")]
    [InlineData(4096UL, "4 KiB")]
    [InlineData(4097UL, "4,097 B")]
    [InlineData(1536UL * 1024, "1.5 MiB")]
    [InlineData(20UL * 1024 + 256, "20.25 KiB")]
    [InlineData(0x1_0000_0000UL, "4 GiB")]
    public void Exact_sizes_are_never_rounded(ulong bytes, string expected) => Assert.Equal(expected, ByteSize.Exact(bytes));
}
