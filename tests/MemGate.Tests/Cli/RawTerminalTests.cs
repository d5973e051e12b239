using System.Runtime.InteropServices;
using MemGate.Cli.Native;
using MemGate.Cli.Serial;

namespace MemGate.Tests.Cli;

/// <summary>Raw mode for a serial console, on a pseudo-terminal this test opens (never the user's terminal).</summary>
public sealed partial class RawTerminalTests
{
    [Fact]
    public void Raw_input_keeps_signals_and_output_translation()
    {
        var cooked = new Termios.Attributes
        {
            InputFlags = Termios.ReturnToNewline | Termios.FlowControl | Termios.BreakInterrupt,
            OutputFlags = 0x5,   // OPOST | ONLCR
            LocalFlags = Termios.Signals | Termios.Canonical | Termios.Echo | Termios.Extended,
        };
        var raw = RawTerminal.MakeRaw(cooked);
        Assert.Equal(0u, raw.InputFlags & (Termios.ReturnToNewline | Termios.FlowControl | Termios.BreakInterrupt));
        Assert.Equal(Termios.Signals, raw.LocalFlags);   // Ctrl-C still stops the run
        Assert.Equal(cooked.OutputFlags, raw.OutputFlags);
        unsafe
        {
            Assert.Equal(1, raw.ControlCharacters[Termios.MinimumIndex]);
            Assert.Equal(0, raw.ControlCharacters[Termios.TimeIndex]);
        }
    }

    [SkippableFact]
    public void A_terminal_goes_raw_and_comes_back_as_it_was()
    {
        int master = OpenPseudoTerminal();
        Skip.If(master < 0, "no pseudo-terminals here (/dev/ptmx)");
        int terminal = -1;
        try
        {
            Assert.Equal(0, GrantPseudoTerminal(master));
            Assert.Equal(0, UnlockPseudoTerminal(master));
            string name = Marshal.PtrToStringUTF8(PseudoTerminalName(master))!;
            terminal = Open(name, 0x102);   // O_RDWR | O_NOCTTY
            Assert.True(terminal >= 0, $"cannot open {name}");
            Assert.Equal(0, Termios.GetAttributes(terminal, out var before));
            Assert.NotEqual(0u, before.LocalFlags & Termios.Canonical);
            using (var raw = RawTerminal.Enter(terminal))
            {
                Assert.NotNull(raw);
                Termios.GetAttributes(terminal, out var during);
                Assert.Equal(0u, during.LocalFlags & (Termios.Canonical | Termios.Echo));
                Assert.NotEqual(0u, during.LocalFlags & Termios.Signals);
            }
            Termios.GetAttributes(terminal, out var after);
            Assert.Equal((before.InputFlags, before.OutputFlags, before.LocalFlags), (after.InputFlags, after.OutputFlags, after.LocalFlags));
        }
        finally
        {
            if (terminal >= 0)
            {
                Close(terminal);
            }
            Close(master);
        }
    }

    [Fact]
    public void A_file_is_not_a_terminal_and_stays_untouched()
    {
        using var file = File.OpenRead(typeof(RawTerminalTests).Assembly.Location);
        Assert.Null(RawTerminal.Enter((int)file.SafeFileHandle.DangerousGetHandle()));
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt")]
    private static partial int PosixOpenPt(int flags);

    private static int OpenPseudoTerminal() => PosixOpenPt(0x102);

    [LibraryImport("libc", EntryPoint = "grantpt")]
    private static partial int GrantPseudoTerminal(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt")]
    private static partial int UnlockPseudoTerminal(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname")]
    private static partial nint PseudoTerminalName(int fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
