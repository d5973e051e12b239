namespace MemGate.Cli.Serial;

/// <summary>
/// QEMU's serial-console keys, as a state machine over typed bytes: Ctrl-A then x quits, h prints help,
/// c would switch to QEMU's monitor (memgate has none, and says so), Ctrl-A or a sends one Ctrl-A; every
/// other byte goes to the firmware, and an unknown key after Ctrl-A is dropped, as in QEMU.
/// </summary>
internal sealed class EscapeParser
{
    /// <summary>The escape key: Ctrl-A.</summary>
    public const byte Escape = 0x01;

    /// <summary>What <see cref="EscapeAction.Help"/> prints.</summary>
    public const string HelpText =
        "C-a h    print this help\n" +
        "C-a x    exit memgate (the run ends as with Ctrl-C, exit code 130)\n" +
        "C-a c    (QEMU's monitor: memgate has none)\n" +
        "C-a C-a  send C-a to the firmware\n" +
        "Ctrl-C   stops the run too\n";

    private bool _escaped;

    /// <summary>What the byte <paramref name="key"/> typed now does.</summary>
    public EscapeAction Feed(byte key)
    {
        if (!_escaped)
        {
            if (key == Escape)
            {
                _escaped = true;
                return EscapeAction.None;
            }
            return EscapeAction.Send;
        }
        _escaped = false;
        return key switch
        {
            (byte)'x' or (byte)'X' => EscapeAction.Quit,
            (byte)'h' or (byte)'H' or (byte)'?' => EscapeAction.Help,
            (byte)'c' or (byte)'C' => EscapeAction.Monitor,
            Escape or (byte)'a' => EscapeAction.SendEscape,
            _ => EscapeAction.None,
        };
    }
}
