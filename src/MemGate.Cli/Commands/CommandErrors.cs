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
    public static int Run(string command, TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (DeviceDescriptionException e)
        {
            foreach (var problem in e.Diagnostics.OrderByDescending(d => d.Severity))
            {
                error.WriteLine(problem.ToString());
            }
            return CliApp.InvalidInput;
        }
        catch (Exception e) when (e is Firmware.FirmwareFormatException or Mmio.Svd.SvdFormatException)
        {
            // These messages start with the file name already.
            error.WriteLine(e.Message);
            return CliApp.InvalidInput;
        }
        catch (CommandUsageException e)
        {
            error.WriteLine($"memgate {command}: {e.Message}");
            return CliApp.Usage;
        }
        catch (Exception e) when (e is MemGateException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error.WriteLine($"memgate {command}: {e.Message}");
            return CliApp.InvalidInput;
        }
    }

    /// <summary>Warnings of a device that loaded, one line each on stderr.</summary>
    public static void ReportWarnings(DeviceDescription device, TextWriter error)
    {
        foreach (var warning in device.Warnings)
        {
            error.WriteLine(warning.ToString());
        }
    }
}
