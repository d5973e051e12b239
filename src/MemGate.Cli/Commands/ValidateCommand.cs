using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Peripherals;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate validate FILE…</c>: checks device files; errors and warnings one per line, exit 1 if any file has errors.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Argument<string[]>("files") { Description = "Device files (.toml, .yaml, .yml, .json), or template names.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON report per file instead of text." };
        var strict = new Option<bool>("--strict") { Description = "In the device's SVD file: flaws other tools tolerate (overlapping fields, odd register sizes, repeated names, registers past their address block) are errors, not warnings." };
        var command = new Command("validate", "Check device files: syntax, fields, overlaps, sizes, alignment, aliases, peripheral models and their settings, the SVD file's " +
            "peripherals and the rules against them. Errors stop loading; warnings do not. --json: one JSON line per file.") { files, json, strict };
        command.SetAction(parse =>
        {
            int exit = CliApp.Success;
            foreach (string file in parse.GetRequiredValue(files))
            {
                var errors = new List<DeviceDiagnostic>();
                var warnings = new List<DeviceDiagnostic>();
                string? failure = null;
                string? failureMessage = null;
                try
                {
                    if (Directory.Exists(file))
                    {
                        throw new IOException("it is a folder; give the device files in it (e.g. folder/*.toml).");
                    }
                    // A template name, as other commands take one where no such file exists: checked the same way (it names no files).
                    var device = !DeviceSource.NamesFile(file) && DeviceTemplates.Exists(file) ? DeviceTemplates.Load(file) : DeviceConfigReader.Load(file);
                    warnings.AddRange(device.Warnings);
                    if (Emulation.FirmwareMachine.UnrunnableCoreWarning(device) is { } unrunnable)
                    {
                        warnings.Add(unrunnable);
                    }
                    warnings.AddRange(Emulation.FirmwareMachine.PartialCodePageWarnings(device));
                    warnings.AddRange(Emulation.FirmwareMachine.RunWarnings(device));
                    // Models, their settings and irq lines are the peripheral layer's to check.
                    errors.AddRange(PeripheralRegistry.Default.Check(device).Where(d => d.Severity == DiagnosticSeverity.Error));
                    errors.AddRange(FileProblems(file, device));
                    if (errors.Count == 0)
                    {
                        // The SVD's contents, the register blocks a run would attach, and the rules against their registers
                        // (without building the device, but with the models its machine adds).
                        var machineModels = Emulation.FirmwareMachine.ArchitecturalPeripherals(device);
                        var svdDevice = device.Svd is { } svd ? Mmio.Svd.SvdReader.Load(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, svd), parse.GetValue(strict)) : null;
                        if (svdDevice is not null)
                        {
                            errors.AddRange(DeviceMemory.CheckSvdBlocks(device, svdDevice, machineModels));
                            warnings.AddRange(DeviceMemory.SvdWarnings(device, svdDevice, machineModels));
                        }
                        errors.AddRange(DeviceMemory.CheckRules(device, svdDevice, machineModels));
                    }
                }
                catch (DeviceDescriptionException e)
                {
                    errors.AddRange(e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
                    warnings.AddRange(e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning));
                }
                catch (Mmio.Svd.SvdFormatException e)
                {
                    // The device's SVD file: each problem at its own line there.
                    errors.AddRange(DeviceDiagnostic.Of(e));
                }
                catch (Exception e) when (e is MemGateException or IOException or UnauthorizedAccessException)
                {
                    failure = $"{file}: error: {e.Message}";
                    failureMessage = e.Message;
                }
                bool valid = errors.Count == 0 && failure is null;
                if (!valid)
                {
                    exit = CliApp.InvalidInput;
                }
                if (parse.GetValue(json))
                {
                    var report = new ValidationReport(file, valid,
                        [.. errors.Select(d => Row(file, d)), .. failure is null ? Array.Empty<DiagnosticRow>() : [new DiagnosticRow(file, null, null, null, "error", failureMessage!)]],
                        [.. warnings.Select(d => Row(file, d))]);
                    output.WriteLine(JsonSerializer.Serialize(report, CliJsonLinesContext.Output.ValidationReport));
                    continue;
                }
                foreach (var line in errors.Concat(warnings).Select(d => d.ToString()).Prepend(failure).OfType<string>())
                {
                    error.WriteLine(line);
                }
                output.WriteLine(valid ? $"{file}: valid{(warnings.Count > 0 ? $", {warnings.Count} warning(s)" : "")}" : $"{file}: invalid, {Math.Max(errors.Count, 1)} error(s)");
            }
            return exit;
        });
        return command;
    }

    // The files a run reads (regions' contents, the SVD) must exist, found from the device file's folder as a run finds
    // them, and a region's contents must fit it as a load would check. The location is where the file names them.
    private static IEnumerable<DeviceDiagnostic> FileProblems(string file, DeviceDescription device)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var named = device.Regions.Select((r, i) => (Region: r, Index: i)).Where(x => x.Region.InitFile is not null)
            .Select(x => ($"regions[{x.Index}]", x.Region.InitFile!, "initial contents file", (DeviceRegion?)x.Region))
            .Concat(device.Svd is { } svd ? [("device", svd, "SVD file", (DeviceRegion?)null)] : []);
        foreach (var (owner, path, what, region) in named)
        {
            string full = Path.GetFullPath(Path.Combine(folder, path));
            string fileKey = $"{owner}.{(region is null ? "svd" : "file")}";
            var (field, problem) = NotReadable(full, what) is { } refused ? (fileKey, refused)
                : region is not null && DeviceMemory.CheckContents(region, full, new FileInfo(full).Length) is { } misfit ? ($"{owner}.{misfit.Key}", misfit.Message)
                : (null, null);
            if (problem is not null)
            {
                // An offset past the file's end is the file_offset key's fault, when the file gives one.
                yield return new DeviceDiagnostic(DiagnosticSeverity.Error, field!, problem) { Location = device.LocationOf(field!) ?? device.LocationOf(fileKey) };
            }
        }
    }

    // Why a run could not read the file (missing, a folder, /dev/zero or a FIFO: only regular files are read), or null.
    private static string? NotReadable(string path, string what)
    {
        try
        {
            InputFile.Check(path, what);
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or MemGateException)
        {
            return e.Message;
        }
    }

    private static DiagnosticRow Row(string file, DeviceDiagnostic d) => CommandErrors.Row(d) is var row && row.File is null ? row with { File = file } : row;
}
