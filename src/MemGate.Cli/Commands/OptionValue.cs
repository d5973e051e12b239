using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>
/// Reads option values with the library's parsers, turning their <see cref="FormatException"/> and
/// <see cref="OverflowException"/> into <see cref="CommandUsageException"/> naming the option, so a bad
/// value is reported as the user's (exit 2) and never as an internal error.
/// </summary>
internal static class OptionValue
{
    /// <summary>An address or number, hex with 0x or decimal, as everywhere in memgate.</summary>
    public static ulong Address(string option, string text) => Parse(option, () => GuestAddress.Parse(text).Value);

    /// <summary>
    /// A number from 0 to <paramref name="max"/> in the notation of every memgate address (0x…, …h, decimal, '_' between
    /// digits) that is not a guest address: a host process's address, or a value to search for.
    /// </summary>
    public static ulong Number(string option, string text, ulong max = ulong.MaxValue) =>
        GuestAddress.TryParse(text, out var parsed) && parsed.Value <= max ? parsed.Value
            : throw new CommandUsageException($"{option} {text}: give a value from 0 to 0x{max:X} (hex with 0x prefix, or decimal).");

    /// <summary>A time limit in seconds (0: none, which is null), as <c>--timeout</c> and <c>--duration</c> take it.</summary>
    public static TimeSpan? Seconds(string option, double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0)
        {
            throw new CommandUsageException($"{option} {seconds}: give seconds, 0 or more (0: no limit).");
        }
        if (seconds >= TimeSpan.MaxValue.TotalSeconds)
        {
            throw new CommandUsageException($"{option} {seconds}: give at most {Math.Floor(TimeSpan.MaxValue.TotalSeconds)} seconds (0: no limit).");
        }
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>Runs <paramref name="parse"/> on a value the user gave for <paramref name="option"/>.</summary>
    public static T Parse<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new CommandUsageException($"{option}: {UserMessage(e)}");
        }
    }

    /// <summary>An exception's message without the "(Parameter 'name')" an argument check adds, which is the library's, not the user's.</summary>
    public static string UserMessage(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
