using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;

namespace MemGate.Cli.Commands;

/// <summary>
/// Runs a command body and turns an option value the command cannot use into exit code 2 (usage) and the
/// library's expected failures into exit code 1, with one line per
/// problem on stderr (file:line:col: error: field: message): MemGate's own exceptions, the operating
/// system refusing a file, and <see cref="NotSupportedException"/>, which the library throws for what
/// this host or device cannot do (no libunicorn, no userfaultfd, a CPU without a machine). Anything
/// else is a bug and propagates to <see cref="CliApp.Run"/>.
/// </summary>
internal static class CommandErrors
{
    /// <summary>Runs <paramref name="body"/>; a failure of a command given <c>--json</c> is one JSON line on stderr (<see cref="FailureReport"/>).</summary>
    public static int Run(string command, ParseResult parse, TextWriter error, Func<int> body)
    {
        var options = parse.CommandResult.Command.Options;
        bool json = (options.FirstOrDefault(o => o.Name == "--json") is Option<bool> option && parse.GetValue(option))
            || (options.FirstOrDefault(o => o.Name == "--format") is Option<string> format && parse.GetValue(format) == "json");   // ps analyze --format json
        var problems = new List<(string Text, DiagnosticRow Row)>();   // the line a person reads, the row a program does
        int exit;
        string? outer = JsonCommand.Value;
        try
        {
            JsonCommand.Value = json ? command : null;
            return body();
        }
        catch (DeviceDescriptionException e)
        {
            problems.AddRange(e.Diagnostics.OrderByDescending(d => d.Severity).Select(d => (d.ToString(), Row(d))));
            exit = CliApp.InvalidInput;
        }
        catch (Mmio.Svd.SvdFormatException e)
        {
            problems.AddRange(DeviceDiagnostic.Of(e).Select(d => (d.ToString(), Row(d))));
            exit = CliApp.InvalidInput;
        }
        catch (Firmware.FirmwareFormatException e)
        {
            problems.Add((e.Message, new DiagnosticRow(e.File, e.Line, null, e.Line is null ? e.Where : null, "error", e.Message)));
            exit = CliApp.InvalidInput;
        }
        catch (CommandUsageException e)
        {
            problems.Add(($"memgate {command}: {e.Message}", new DiagnosticRow(null, null, null, null, "error", e.Message)));
            exit = CliApp.Usage;
        }
        catch (CommandStoppedException e)
        {
            problems.Add(($"memgate {command}: {e.Message}", new DiagnosticRow(null, null, null, null, "error", e.Message)));
            exit = e.ExitCode;
        }
        catch (OutputFailedException e)
        {
            problems.Add(($"memgate {command}: cannot write its output: {e.Message}", new DiagnosticRow(null, null, null, null, "error", e.Message)));
            exit = CliApp.HostIOError;
        }
        catch (Exception e) when (e is MemGateException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            problems.Add(($"memgate {command}: {e.Message}", new DiagnosticRow((e as FileNotFoundException)?.FileName, null, null, null, "error", e.Message)));
            exit = CliApp.InvalidInput;
        }
        finally
        {
            JsonCommand.Value = outer;
        }
        if (json)
        {
            error.WriteLine(JsonSerializer.Serialize(new FailureReport(command, exit, [.. problems.Select(p => p.Row)]), CliJsonLinesContext.Output.FailureReport));
        }
        else
        {
            foreach (var (text, _) in problems)
            {
                error.WriteLine(text);
            }
        }
        return exit;
    }

    /// <summary>A diagnostic as a row: where, which field, how bad, what.</summary>
    public static DiagnosticRow Row(DeviceDiagnostic d) => new(d.Location?.File, d.Location is { Line: > 0 } l ? l.Line : null,
        d.Location is { Line: > 0, Column: > 0 } c ? c.Column : null, string.IsNullOrEmpty(d.Field) ? null : d.Field,
        d.Severity == DiagnosticSeverity.Error ? "error" : "warning", d.Message);

    /// <summary>
    /// Warnings of a device that loaded, one line each on stderr; under a command given <c>--json</c>, one JSON line for them all
    /// (<see cref="WarningReport"/>), so that its stderr stays JSON Lines.
    /// </summary>
    public static void ReportWarnings(DeviceDescription device, TextWriter error) => ReportWarnings(device.Warnings, error);

    /// <summary>Warnings, as <see cref="ReportWarnings(DeviceDescription, TextWriter)"/> gives a device's.</summary>
    /// <param name="warnings">The warnings.</param>
    /// <param name="error">Where they go.</param>
    /// <param name="prefix">Put before each text line ("memgate ps list"); without, a warning's own text (file:line: …) starts it.</param>
    public static void ReportWarnings(IReadOnlyList<DeviceDiagnostic> warnings, TextWriter error, string? prefix = null)
    {
        if (warnings.Count == 0)
        {
            return;
        }
        if (JsonCommand.Value is { } command)
        {
            error.WriteLine(JsonSerializer.Serialize(new WarningReport(command, [.. warnings.Select(Row)]), CliJsonLinesContext.Output.WarningReport));
            return;
        }
        foreach (var warning in warnings)
        {
            error.WriteLine(prefix is null ? warning.ToString() : $"{prefix}: warning: {warning.Message}.");
        }
    }

    // The command Run is running when it was given --json; null otherwise.
    private static readonly AsyncLocal<string?> JsonCommand = new();
}
