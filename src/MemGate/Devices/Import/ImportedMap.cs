using System.Globalization;
using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Devices.Import;

/// <summary>
/// Shared plumbing of the importers: reading a foreign YAML file with positions, numbers written as
/// YAML ints or hex strings, and turning collected regions into a validated <see cref="DeviceDescription"/>.
/// </summary>
internal sealed class ImportedMap(string file)
{
    private readonly List<DeviceDiagnostic> _problems = [];

    public string File { get; } = file;

    public List<DeviceRegion> Regions { get; } = [];

    private readonly List<SourceLocation> _regionLocations = [];

    public List<DevicePeripheral> Peripherals { get; } = [];

    public List<DeviceSymbol> Symbols { get; } = [];

    public static ConfigNode ReadYaml(string path)
    {
        return YamlConfigParser.Parse(InputFile.ReadAllText(path, "Configuration file"), path);
    }

    public void AddRegion(ConfigNode node, DeviceRegion region)
    {
        Regions.Add(region);
        _regionLocations.Add(node.Location);
    }

    public void Error(string field, ConfigNode node, string message) =>
        _problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, field, message) { Location = node.Location });

    public ulong? Number(ConfigNode map, string key, string field, bool required)
    {
        var node = map.Get(key);
        if (node is null)
        {
            if (required)
            {
                Error(field, map, "missing");
            }
            return null;
        }
        if (TryNumber(node.Text, out ulong value) && node.Kind == ConfigNodeKind.Scalar)
        {
            return value;
        }
        Error(field, node, $"{node.Describe()} is not a number");
        return null;
    }

    public static bool TryNumber(string text, out ulong value) => ConfigNumber.TryParse(text, out value);

    public Permissions? Permissions(ConfigNode map, string field)
    {
        var node = map.Get("permissions");
        if (node is null)
        {
            return null;
        }
        if (PermissionsText.TryParse(node.Text, out var permissions, out char bad))
        {
            return permissions;
        }
        Error(field, node, $"{node.Describe()}: unknown permission letter '{bad}'");
        return null;
    }

    public string? Text(ConfigNode map, string key) => map.Get(key) is { Kind: ConfigNodeKind.Scalar } node ? node.Text : null;

    /// <summary>Builds the device; every problem found so far, or by validation, is thrown together with its place.</summary>
    public DeviceDescription Build(string name, string description, string architecture, string cpu, DeviceBoot boot)
    {
        if (_problems.Count > 0)
        {
            throw new DeviceDescriptionException(File, _problems);
        }
        try
        {
            var device = new DeviceDescription(name, Regions, peripherals: Peripherals, description: description, architecture: architecture, cpu: cpu,
                pageSize: LargestCommonAlignment(), boot: boot, symbols: Symbols);
            device.Warnings = device.Warnings.Select(Locate).ToList();
            return device;
        }
        catch (DeviceDescriptionException e)
        {
            throw new DeviceDescriptionException(File, e.Diagnostics.Select(Locate).ToList());
        }
    }

    // Validation speaks of regions[i]; point at the entry in the foreign file and name it.
    private DeviceDiagnostic Locate(DeviceDiagnostic d)
    {
        var m = System.Text.RegularExpressions.Regex.Match(d.Field, @"^regions\[(\d+)\]");
        return m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is int i && i < Regions.Count
            ? d with { Location = _regionLocations[i], Field = Regions[i].Name + d.Field[m.Length..] }
            : d;
    }

    // Foreign formats have no page size; use the largest power of two (up to 4 KiB) every region is aligned to.
    private ulong LargestCommonAlignment()
    {
        ulong page = 4096;
        foreach (var r in Regions)
        {
            while (page > 1 && (r.Start % page != 0 || r.Size % page != 0))
            {
                page >>= 1;
            }
        }
        return page;
    }
}
