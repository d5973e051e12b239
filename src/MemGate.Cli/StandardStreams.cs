using System.Text;
using MemGate.Cli.Native;

namespace MemGate.Cli;

/// <summary>
/// Standard output and error as writers straight on descriptors 1 and 2, not .NET's <see cref="Console.Out"/> and
/// <see cref="Console.Error"/>: on a terminal, .NET's console first switches it to application keypad mode (it writes
/// ESC [?1h ESC =) and never switches it back, which every command then left behind in the user's terminal.
/// </summary>
internal static class StandardStreams
{
    /// <summary>Standard output (UTF-8, written through at once, safe to share between threads).</summary>
    public static TextWriter Out { get; } = Open(1) ?? Console.Out;

    /// <summary>Standard error, as <see cref="Out"/>.</summary>
    public static TextWriter Error { get; } = Open(2) ?? Console.Error;

    /// <summary>Standard output as bytes (raw dumps).</summary>
    public static Stream OpenOutput() => new DescriptorStream(1);

    /// <summary>Whether <paramref name="writer"/> (or the writer it wraps) is standard output or error, and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter writer)
    {
        var inner = writer is BestEffortWriter wrapped ? wrapped.Inner : writer;
        return (ReferenceEquals(inner, Out) && Termios.IsTerminal(1) == 1) || (ReferenceEquals(inner, Error) && Termios.IsTerminal(2) == 1);
    }

    /// <summary>The terminal's width in columns on standard output, null when it is not a terminal or does not say.</summary>
    public static int? Columns => Termios.WindowSize(1, out var size) == 0 && size.Columns > 0 ? size.Columns : null;

    /// <summary>The terminal's height in rows on standard output, as <see cref="Columns"/>.</summary>
    public static int? Rows => Termios.WindowSize(1, out var size) == 0 && size.Rows > 0 ? size.Rows : null;

    // Null when the descriptor is closed (then .NET's console, which tolerates that, is used). write(2) itself, not a
    // FileStream: see DescriptorStream.
    private static TextWriter? Open(int fd) =>
        DescriptorStream.IsOpen(fd) ? TextWriter.Synchronized(new StreamWriter(new DescriptorStream(fd), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 256) { AutoFlush = true }) : null;
}
