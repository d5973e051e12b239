namespace MemGate.Mmio.Svd;

/// <summary>A flaw of an SVD file that was tolerated, where it is: <c>file:line: warning: element: message</c>.</summary>
/// <param name="File">The SVD file.</param>
/// <param name="Line">Its line (1-based); 0 when unknown.</param>
/// <param name="Element">The element, as a path (<c>peripheral[USART1].register[SR]</c>).</param>
/// <param name="Message">What is wrong and what was done about it.</param>
public sealed record SvdWarning(string File, int Line, string Element, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{File}{(Line > 0 ? $":{Line}" : "")}: warning: {Element}: {Message}";
}
