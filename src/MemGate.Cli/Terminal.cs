using Spectre.Console;

namespace MemGate.Cli;

/// <summary>Spectre.Console bound to a writer: colours only when writing to a real terminal.</summary>
internal static class Terminal
{
    /// <param name="writer">Where the output goes.</param>
    /// <param name="unwrapped">Never wrap lines when the output is not a terminal (tables of long paths that other programs read).</param>
    public static IAnsiConsole For(TextWriter writer, bool unwrapped = false)
    {
        bool interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = unwrapped ? 1 << 16 : 120; // pipes and files: wide enough for address tables, stable for tests
        }
        return console;
    }
}
