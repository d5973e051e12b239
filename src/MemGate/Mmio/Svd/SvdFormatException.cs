namespace MemGate.Mmio.Svd;

/// <summary>A CMSIS-SVD file is malformed; the message names the file, the line and the element.</summary>
public sealed class SvdFormatException : MemGateException
{
    /// <summary>Creates the exception.</summary>
    public SvdFormatException(string file, int line, string element, string message, Exception? inner = null)
        : base($"{file}{(line > 0 ? $":{line}" : "")}: <{element}>: {message}", inner)
    {
        File = file;
        Line = line;
        Element = element;
        Detail = message;
        Problems = [this];
    }

    /// <summary>What is wrong, without the file, line and element the message starts with.</summary>
    public string Detail { get; }

    /// <summary>Every problem the reader found (it reads on past a broken peripheral), this one first; each with its own line.</summary>
    public IReadOnlyList<SvdFormatException> Problems { get; private init; }

    /// <summary>One exception for several problems: the first's place, a message that lists them all, and <see cref="Problems"/>.</summary>
    public static SvdFormatException Of(IReadOnlyList<SvdFormatException> problems)
    {
        ArgumentOutOfRangeException.ThrowIfZero(problems.Count);
        if (problems.Count == 1)
        {
            return problems[0];
        }
        var first = problems[0];
        string rest = string.Join("\n", problems.Skip(1).Select(p => p.Message));
        return new SvdFormatException(first.File, first.Line, first.Element, $"{first.Detail} ({problems.Count - 1} more problem(s) below)\n{rest}", first)
        {
            Problems = problems,
        };
    }

    /// <summary>The SVD file.</summary>
    public string File { get; }

    /// <summary>1-based line, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The element at fault, as a path such as <c>peripheral[USART1]/register[SR]</c>.</summary>
    public string Element { get; }
}
