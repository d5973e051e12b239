using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>
/// Reads option values with the library's parsers, turning their <see cref="FormatException"/> and
/// <see cref="OverflowException"/> into <see cref="CommandInputException"/> naming the option, so a bad
/// value is reported as the user's (exit 1) and never as an internal error.
/// </summary>
internal static class OptionValue
{
    /// <summary>An address or number, hex with 0x or decimal, as everywhere in memgate.</summary>
    public static ulong Address(string option, string text) => Parse(option, () => GuestAddress.Parse(text).Value);

    /// <summary>Runs <paramref name="parse"/> on a value the user gave for <paramref name="option"/>.</summary>
    public static T Parse<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new CommandInputException($"{option}: {e.Message}");
        }
    }
}
