using MemGate.Cli.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Cli;

/// <summary>
/// What <c>memgate run</c> may read as the console UART's input: the process's standard input (a terminal,
/// switched to raw mode while the firmware runs, or a pipe or file), a stream a test gives, or nothing.
/// </summary>
public sealed class CliInput
{
    private readonly Func<Stream>? _open;

    /// <summary>Input from <paramref name="open"/>'s stream; <paramref name="isTerminal"/> when it is the terminal on file descriptor 0.</summary>
    public CliInput(Func<Stream>? open, bool isTerminal = false)
    {
        _open = open;
        IsTerminal = isTerminal && open is not null;
    }

    /// <summary>No input (what the in-process API uses unless told otherwise): the console UART receives nothing.</summary>
    public static CliInput None { get; } = new(null);

    /// <summary>
    /// The process's standard input, read with read(2) on file descriptor 0 (not through <see cref="Console"/>,
    /// whose terminal handling would put a raw terminal back into line mode before each read).
    /// </summary>
    public static CliInput Standard() => new(OpenDescriptorZero, Termios.IsTerminal(0) == 1);

    private static Stream OpenDescriptorZero()
    {
        try
        {
            return new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return Stream.Null;   // closed or unreadable: no input
        }
    }

    /// <summary>Whether the input is an interactive terminal (file descriptor 0).</summary>
    public bool IsTerminal { get; }

    /// <summary>Whether there is any input to read.</summary>
    public bool Exists => _open is not null;

    /// <summary>Opens the stream (null when there is none).</summary>
    internal Stream? Open() => _open?.Invoke();
}
