using System.Text;

namespace MemGate.Cli;

/// <summary>
/// Wraps the error stream so a failing write (stderr on a full disk, <c>2&gt;/dev/full</c>, a closed
/// pipe) is dropped instead of thrown: the report is lost, but the exit code still tells what happened,
/// where an exception here would abort the process.
/// </summary>
internal sealed class BestEffortWriter(TextWriter inner) : TextWriter
{
    /// <summary>The writer it wraps.</summary>
    public TextWriter Inner => inner;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Try(() => inner.Write(value));

    public override void Write(string? value) => Try(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));

    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));

    public override void Flush() => Try(inner.Flush);

    private static void Try(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // Nowhere left to report to.
        }
    }
}
