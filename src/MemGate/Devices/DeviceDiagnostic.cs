namespace MemGate.Devices;

/// <summary>One problem found in a device description.</summary>
/// <param name="Severity">Error (stops loading) or warning.</param>
/// <param name="Field">The field at fault, as a path such as <c>regions[2].size</c>.</param>
/// <param name="Message">What is wrong, naming the offending value and the regions involved.</param>
public sealed record DeviceDiagnostic(DiagnosticSeverity Severity, string Field, string Message)
{
    /// <summary>Where in the file the field is, when the description came from a file.</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>One line: <c>file:line:col: error: field: message</c>.</summary>
    public override string ToString()
    {
        string severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        string where = Location is { } l ? $"{l}: " : "";
        return $"{where}{severity}: {Field}: {Message}";
    }
}
