namespace MemGate.Devices;

/// <summary>One problem found in a device description.</summary>
/// <param name="Severity">Error (stops loading) or warning.</param>
/// <param name="Field">The field at fault, as a path such as <c>regions[2].size</c>.</param>
/// <param name="Message">What is wrong, naming the offending value and the regions involved.</param>
public sealed record DeviceDiagnostic(DiagnosticSeverity Severity, string Field, string Message)
{
    /// <summary>Where in the file the field is, when the description came from a file.</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>A problem of an SVD file as a diagnostic: its element the field, at its line of the SVD.</summary>
    public static DeviceDiagnostic Of(Mmio.Svd.SvdWarning warning) =>
        new(DiagnosticSeverity.Warning, warning.Element, warning.Message) { Location = new SourceLocation(warning.File, warning.Line, 0) };

    /// <summary>The problems of an SVD file the reader refused, one diagnostic each (<see cref="Mmio.Svd.SvdFormatException.Problems"/>).</summary>
    public static IEnumerable<DeviceDiagnostic> Of(Mmio.Svd.SvdFormatException e) =>
        e.Problems.Select(p => new DeviceDiagnostic(DiagnosticSeverity.Error, p.Element, p.Detail) { Location = new SourceLocation(p.File, p.Line, 0) });

    /// <summary>One line: <c>file:line:col: error: field: message</c>.</summary>
    public override string ToString()
    {
        string severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        string where = Location is { } l ? $"{l}: " : "";
        return $"{where}{severity}: {Field}: {Message}";
    }
}
