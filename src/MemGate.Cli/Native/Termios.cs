using System.Runtime.InteropServices;

namespace MemGate.Cli.Native;

/// <summary>The terminal calls of libc (termios(3)): the attributes of a terminal, read and set.</summary>
internal static partial class Termios
{
    private const string Libc = "libc";

    // Linux's values (asm-generic/termbits.h).
    public const uint IgnoreBreak = 0x001;          // IGNBRK
    public const uint BreakInterrupt = 0x002;       // BRKINT
    public const uint MarkParity = 0x008;           // PARMRK
    public const uint StripBit8 = 0x020;            // ISTRIP
    public const uint NewlineToReturn = 0x040;      // INLCR
    public const uint IgnoreReturn = 0x080;         // IGNCR
    public const uint ReturnToNewline = 0x100;      // ICRNL
    public const uint FlowControl = 0x400;          // IXON
    public const uint Signals = 0x001;              // ISIG
    public const uint Canonical = 0x002;            // ICANON
    public const uint Echo = 0x008;                 // ECHO
    public const uint EchoNewline = 0x040;          // ECHONL
    public const uint Extended = 0x8000;            // IEXTEN
    public const int MinimumIndex = 6;              // VMIN
    public const int TimeIndex = 5;                 // VTIME
    public const int SetNow = 0;                    // TCSANOW

    /// <summary>struct termios of glibc on Linux (NCCS 32).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Attributes
    {
        public uint InputFlags;
        public uint OutputFlags;
        public uint ControlFlags;
        public uint LocalFlags;
        public byte Line;
        public fixed byte ControlCharacters[32];
        public uint InputSpeed;
        public uint OutputSpeed;
    }

    [LibraryImport(Libc, EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int GetAttributes(int fd, out Attributes attributes);

    [LibraryImport(Libc, EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int SetAttributes(int fd, int when, in Attributes attributes);

    [LibraryImport(Libc, EntryPoint = "isatty")]
    public static partial int IsTerminal(int fd);

    /// <summary>struct winsize.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Size
    {
        public ushort Rows;
        public ushort Columns;
        public ushort PixelWidth;
        public ushort PixelHeight;
    }

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, out Size size);

    /// <summary>The terminal's size (TIOCGWINSZ); 0 when it said, -1 when it is no terminal.</summary>
    public static int WindowSize(int fd, out Size size) => Ioctl(fd, 0x5413, out size);
}
