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

    private readonly Dictionary<string, SourceLocation> _fieldLocations = new(StringComparer.Ordinal);

    public List<DevicePeripheral> Peripherals { get; } = [];

    public List<DeviceSymbol> Symbols { get; } = [];

    public List<DeviceInterruptTrigger> InterruptTriggers { get; } = [];

    public List<Mmio.MmioInputModel> MmioModels { get; } = [];

    public List<(DeviceHook Hook, string Field, ConfigNode Node)> Hooks { get; } = [];

    /// <summary>Reads a YAML file as the tools that wrote it do: a key given twice keeps its last value, with a warning.</summary>
    public ConfigNode ReadYaml(string path)
    {
        var root = YamlConfigParser.Parse(InputFile.ReadAllText(path, "Configuration file"), path,
            (at, message) => _warnings.Add(new DeviceDiagnostic(DiagnosticSeverity.Warning, "(yaml)", message) { Location = at }));
        _read.Add(Path.GetFullPath(path));
        return root;
    }

    private readonly List<string> _read = [];   // the files read, for DeviceDescription.SourceFiles

    private readonly List<DeviceDiagnostic> _warnings = [];

    /// <summary>Something imported differently from the source tool, or not at all, located in the source file.</summary>
    public void Warn(string field, ConfigNode node, string message) =>
        _warnings.Add(new DeviceDiagnostic(DiagnosticSeverity.Warning, field, message) { Location = node.Location });

    public void AddRegion(ConfigNode node, DeviceRegion region)
    {
        if (ConfigNode.FindUnwritable(region.Name) is int at)
        {
            Error(region.Name, node, $"the name contains U+{(int)region.Name[at]:X4}: no control characters, unpaired surrogates or U+FFFD");
        }
        Regions.Add(region);
        _regionLocations.Add(node.Location);
    }

    /// <summary>Replaces region <paramref name="index"/> by <paramref name="pieces"/>, each located where its node is (null: where the region was).</summary>
    public void ReplaceRegion(int index, IEnumerable<(ConfigNode? Node, DeviceRegion Region)> pieces)
    {
        var location = _regionLocations[index];
        Regions.RemoveAt(index);
        _regionLocations.RemoveAt(index);
        foreach (var (node, region) in pieces)
        {
            if (node is not null)
            {
                AddRegion(node, region);
            }
            else
            {
                Regions.Add(region);
                _regionLocations.Add(location);
            }
        }
    }

    /// <summary>Where a device field (<c>boot.entry_point</c>) came from, so validation errors about it name the place.</summary>
    public void Remember(string field, ConfigNode node) => _fieldLocations[field] = node.Location;

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
        // Both tools write three places, "rwx" with dashes; Fuzzware only looks for the letters, and real configs
        // write "rw" (pw-recovery/LPC1549), so letters without dashes count too. "r--x" or a mapping is not a permission.
        string text = node.Text;
        bool threePlaces = text.Length == 3 && text[0] is 'r' or 'R' or '-' && text[1] is 'w' or 'W' or '-' && text[2] is 'x' or 'X' or '-';
        bool letters = text.Length is >= 1 and <= 3 && !text.Contains('-', StringComparison.Ordinal);
        if (node.Kind == ConfigNodeKind.Scalar && (threePlaces || letters) && PermissionsText.TryParse(text, out var permissions, out _))
        {
            return permissions;
        }
        Error(field, node, $"{node.Describe()} is not a permission: write three places as in rwx, r-x or r--, or the letters as in rw");
        return null;
    }

    public string? Text(ConfigNode map, string key)
    {
        if (map.Get(key) is not { Kind: ConfigNodeKind.Scalar } node)
        {
            return null;
        }
        if (ConfigNode.FindUnwritable(node.Text) is int at)
        {
            Error(key, node, $"contains U+{(int)node.Text[at]:X4}: no control characters, unpaired surrogates or U+FFFD");
            return null;
        }
        return node.Text;
    }

    /// <summary>Builds the device; every problem found so far, or by validation, is thrown together with its place.</summary>
    public DeviceDescription Build(string name, string description, string architecture, string cpu, DeviceBoot boot, UnmodelledPolicy unmodelled = UnmodelledPolicy.Plain, DeviceLimits? limits = null)
    {
        if (_problems.Count > 0)
        {
            throw new DeviceDescriptionException(File, _problems);
        }
        // A hook at a name the configuration's symbols do not give could never be placed: left out, saying so.
        var hooks = new List<DeviceHook>();
        foreach (var (hook, field, node) in Hooks)
        {
            if (DeviceDescription.AddressOf(Symbols, hook.At) is not null)
            {
                hooks.Add(hook);
            }
            else
            {
                Warn(field, node, $"'{hook.At}' is neither an address nor one of the configuration's symbols; left out");
            }
        }
        try
        {
            var device = new DeviceDescription(name, Regions, peripherals: Peripherals, description: description, architecture: architecture, cpu: cpu,
                pageSize: LargestCommonAlignment(), boot: boot, symbols: Symbols, unmodelled: unmodelled, interruptTriggers: InterruptTriggers, mmioModels: MmioModels, hooks: hooks, limits: limits);
            device.Warnings = [.. _warnings, .. device.Warnings.Select(Locate)];
            device.SourceFiles = [.. _read.Distinct()];
            return device;
        }
        catch (DeviceDescriptionException e)
        {
            throw new DeviceDescriptionException(File, e.Diagnostics.Select(Locate).ToList());
        }
    }

    // Validation speaks of regions[i]; point at the entry in the foreign file and name it. Other fields
    // point where they were remembered, or at least name the file.
    private DeviceDiagnostic Locate(DeviceDiagnostic d)
    {
        var m = System.Text.RegularExpressions.Regex.Match(d.Field, @"^regions\[(\d+)\]");
        if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is int i && i < Regions.Count)
        {
            return d with { Location = _regionLocations[i], Field = Regions[i].Name + d.Field[m.Length..] };
        }
        return d.Location is not null ? d : d with { Location = _fieldLocations.GetValueOrDefault(d.Field, new SourceLocation(File, 0, 0)) };
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
