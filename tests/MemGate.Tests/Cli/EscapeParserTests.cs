using MemGate.Cli.Serial;

namespace MemGate.Tests.Cli;

/// <summary>QEMU's Ctrl-A keys at the serial console, as a pure state machine.</summary>
public sealed class EscapeParserTests
{
    private static List<EscapeAction> Feed(params byte[] keys)
    {
        var parser = new EscapeParser();
        return keys.Select(parser.Feed).ToList();
    }

    [Fact]
    public void Ordinary_keys_go_to_the_firmware() =>
        Assert.Equal([EscapeAction.Send, EscapeAction.Send, EscapeAction.Send], Feed((byte)'a', (byte)'\r', 0x03));

    [Theory]
    [InlineData('x', "Quit")]
    [InlineData('X', "Quit")]
    [InlineData('h', "Help")]
    [InlineData('?', "Help")]
    [InlineData('c', "Monitor")]
    [InlineData('a', "SendEscape")]
    [InlineData('\u0001', "SendEscape")]
    [InlineData('z', "None")]
    public void Ctrl_a_then_a_key_is_a_command(char key, string action) =>
        Assert.Equal([EscapeAction.None, Enum.Parse<EscapeAction>(action)], Feed(EscapeParser.Escape, (byte)key));

    [Fact]
    public void After_a_command_keys_go_to_the_firmware_again() =>
        Assert.Equal([EscapeAction.None, EscapeAction.Help, EscapeAction.Send, EscapeAction.None, EscapeAction.SendEscape, EscapeAction.Send],
            Feed(EscapeParser.Escape, (byte)'h', (byte)'x', EscapeParser.Escape, EscapeParser.Escape, (byte)'x'));

    [Fact]
    public void The_help_names_every_command() =>
        Assert.All(["C-a x", "C-a h", "C-a c", "C-a C-a"], key => Assert.Contains(key, EscapeParser.HelpText, StringComparison.Ordinal));
}
