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
    }

    /// <summary>The SVD file.</summary>
    public string File { get; }

    /// <summary>1-based line, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The element at fault, as a path such as <c>peripheral[USART1]/register[SR]</c>.</summary>
    public string Element { get; }
}
