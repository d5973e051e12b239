using Spectre.Console;

namespace MemGate.Cli;

/// <summary>Spectre.Console bound to a writer: colours only when writing to a real terminal.</summary>
internal static class Terminal
{
    /// <param name="writer">Where the output goes.</param>
    /// <param name="unwrapped">Never wrap lines when the output is not a terminal (tables of long paths that other programs read).</param>
    public static IAnsiConsole For(TextWriter writer, bool unwrapped = false)
    {
        bool interactive = StandardStreams.IsTerminal(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Pipes and files: wide enough for address tables, stable for tests. A terminal: its width, asked here (Spectre would
        // ask .NET's console, which switches the terminal's keypad mode; see StandardStreams).
        console.Profile.Width = interactive ? StandardStreams.Columns ?? 80 : unwrapped ? 1 << 16 : 120;
        console.Profile.Height = interactive ? StandardStreams.Rows ?? 24 : 24;
        return console;
    }
}
