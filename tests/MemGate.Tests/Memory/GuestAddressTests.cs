using MemGate.Memory;

namespace MemGate.Tests.Memory;

public class GuestAddressTests
{
    [Fact]
    public void Arithmetic_is_checked()
    {
        var top = new GuestAddress(ulong.MaxValue - 1);
        Assert.Equal(new GuestAddress(ulong.MaxValue), top + 1);
        Assert.Throws<OverflowException>(() => top + 2);
        Assert.False(top.TryAdd(2, out _));
        Assert.Equal(0x10UL, new GuestAddress(0x20).OffsetFrom(new GuestAddress(0x10)));
        Assert.Throws<OverflowException>(() => new GuestAddress(0x10).OffsetFrom(new GuestAddress(0x20)));
    }

    [Theory]
    [InlineData("0x20000000", 0x2000_0000UL)]
    [InlineData("0X2000_0000", 0x2000_0000UL)]
    [InlineData("20000000h", 0x2000_0000UL)]
    [InlineData("536870912", 0x2000_0000UL)]
    public void Parses_hex_and_decimal(string text, ulong value) => Assert.Equal(new GuestAddress(value), GuestAddress.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0xG")]
    [InlineData("-1")]
    [InlineData("0x1_0000_0000_0000_0000")]
    public void Rejects_bad_addresses(string text) => Assert.Throws<FormatException>(() => GuestAddress.Parse(text));

    [Fact]
    public void Formats_as_hex()
    {
        Assert.Equal("0x08000000", new GuestAddress(0x0800_0000).ToString());
        Assert.Equal("0x0000000100000000", new GuestAddress(1UL << 32).ToString());
        Assert.Equal("at 0x08000000", $"at {new GuestAddress(0x0800_0000)}");
        Assert.Equal("8000000", new GuestAddress(0x0800_0000).ToString("X", null));
    }

    [Theory]
    [InlineData("RX", Permissions.ReadExecute, "r-x")]
    [InlineData("rw", Permissions.ReadWrite, "rw-")]
    [InlineData("r-x", Permissions.ReadExecute, "r-x")]
    [InlineData("XWR", Permissions.All, "rwx")]
    [InlineData("", Permissions.None, "---")]
    public void Permission_letters_round_trip(string text, Permissions expected, string rwx)
    {
        Assert.Equal(expected, PermissionsText.Parse(text));
        Assert.Equal(rwx, PermissionsText.ToRwx(expected));
        Assert.Equal(expected, PermissionsText.Parse(PermissionsText.ToLetters(expected)));
    }

    [Theory]
    [InlineData("RZ", 'Z')]
    [InlineData("RR", 'R')]
    public void Bad_permission_letters_are_named(string text, char bad) =>
        Assert.Contains($"'{bad}'", Assert.Throws<FormatException>(() => PermissionsText.Parse(text)).Message);
}
