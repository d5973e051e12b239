using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>
/// Runs a command body and turns the library's expected failures into exit code 1 with one line per
/// problem on stderr (file:line:col: error: field: message); anything else is a bug and propagates.
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
        catch (Processes.ProcessAccessException e)
        {
            error.WriteLine($"memgate {command}: {e.Message}");
            return CliApp.InvalidInput;
        }
        catch (Firmware.FirmwareFormatException e)
        {
            error.WriteLine(e.Message);
            return CliApp.InvalidInput;
        }
        catch (Mmio.Svd.SvdFormatException e)
        {
            error.WriteLine(e.Message);
            return CliApp.InvalidInput;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or ArgumentException
            or FormatException or OverflowException or NotSupportedException or GuestMemoryException or IOException or UnauthorizedAccessException or Native.NativeMemoryException)
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
