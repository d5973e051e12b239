using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Devices.Import;

/// <summary>
/// Imports a Fuzzware <c>config.yml</c>: <c>memory_map</c> entries (base_addr, size, permissions, file,
/// file_offset, is_entry, ivt_offset), <c>entry_point</c>, <c>initial_sp</c>, <c>symbols</c> and
/// <c>include</c> (other files merged first, relative to the including file; the including file wins).
/// </summary>
/// <remarks>
/// Fuzzware has no region types; they are inferred: a name containing "mmio" (or Fuzzware's "nvic"
/// system block) is mmio, a region with a file, <c>is_entry</c> or execute-without-write permission is
/// flash, anything else RAM. Fuzzware targets Cortex-M3/M4, so the device is ARMv7-M.
/// </remarks>
public static class FuzzwareImporter
{
    private static readonly string[] EntryKeys = ["base_addr", "size", "permissions", "file", "file_offset", "is_entry", "ivt_offset", "overlay"];

    /// <summary>Reads <paramref name="path"/> and the files it includes.</summary>
    /// <exception cref="DeviceDescriptionException">The file is malformed; every problem names its line.</exception>
    public static DeviceDescription Import(string path)
    {
        var map = new ImportedMap(path);
        var entries = new Dictionary<string, (ConfigNode Node, string File)>(StringComparer.Ordinal);
        var scalars = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        var symbols = new Dictionary<ulong, string>();
        Merge(map, Path.GetFullPath(path), entries, scalars, symbols, [], includedAt: null);

        ulong? vectorTable = null;
        foreach (var (name, (node, file)) in entries)
        {
            string field = $"memory_map.{name}";
            foreach (var (key, value) in node.Entries.Where(e => !EntryKeys.Contains(e.Key)))
            {
                map.Error($"{field}.{key}", value, $"unknown field (known: {string.Join(", ", EntryKeys)})");
            }
            ulong start = map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0;
            ulong size = map.Number(node, "size", $"{field}.size", required: true) ?? 0;
            var permissions = map.Permissions(node, $"{field}.permissions") ?? Permissions.ReadWrite;
            string? contents = map.Text(node, "file");
            bool entry = map.Text(node, "is_entry") is "True" or "true";
            var type = name.Contains("mmio", StringComparison.OrdinalIgnoreCase) || name.Equals("nvic", StringComparison.OrdinalIgnoreCase)
                ? DeviceRegionType.Mmio
                : contents is not null || entry || (permissions.HasFlag(Permissions.Execute) && !permissions.HasFlag(Permissions.Write))
                    ? DeviceRegionType.Flash
                    : DeviceRegionType.Ram;
            map.AddRegion(node, new DeviceRegion(name, start, size, permissions, type, DeviceDescription.DefaultSpace)
            {
                // Paths stay relative to the directory of the file that named them, as Fuzzware resolves them.
                InitFile = contents is null ? null : Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.Combine(Path.GetDirectoryName(file)!, contents)),
                FileOffset = map.Number(node, "file_offset", $"{field}.file_offset", required: false) ?? 0,
            });
            if (entry)
            {
                vectorTable = start + (map.Number(node, "ivt_offset", $"{field}.ivt_offset", required: false) ?? 0);
                map.Remember("boot.vector_table", node);
            }
        }
        foreach (var (address, name) in symbols.OrderBy(s => s.Key))
        {
            map.Symbols.Add(new DeviceSymbol(name, address));
        }
        foreach (var (key, node) in scalars)
        {
            map.Remember($"boot.{key}", node);
        }
        var boot = new DeviceBoot(
            scalars.TryGetValue("entry_point", out var ep) ? map.Number(Wrap(ep), "v", "entry_point", true) : null,
            scalars.TryGetValue("initial_sp", out var sp) ? map.Number(Wrap(sp), "v", "initial_sp", true) : null,
            vectorTable);
        string deviceName = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) is { Length: > 0 } dir ? dir : Path.GetFileNameWithoutExtension(path);
        return map.Build(deviceName, $"Imported from Fuzzware configuration {Path.GetFileName(path)}", "armv7-m", "cortex-m3", boot);
    }

    private static ConfigNode Wrap(ConfigNode value)
    {
        var map = ConfigNode.Map(value.Location);
        map.Entries.Add(new("v", value));
        return map;
    }

    // including: the files being merged right now (a cycle), not every file seen: a diamond (A includes
    // B and C, both include D) is fine. includedAt: the include entry that named this file.
    private static void Merge(ImportedMap map, string file, Dictionary<string, (ConfigNode, string)> entries, Dictionary<string, ConfigNode> scalars,
        Dictionary<ulong, string> symbols, List<string> including, ConfigNode? includedAt)
    {
        if (including.Contains(file) || including.Count > 16)
        {
            var at = includedAt?.Location ?? new SourceLocation(file, 0, 0);
            throw new DeviceDescriptionException(at.File, [new DeviceDiagnostic(DiagnosticSeverity.Error, "include",
                including.Contains(file) ? $"'{file}' includes itself (through {string.Join(" → ", including.Select(Path.GetFileName))})" : "includes nest deeper than 16 files") { Location = at }]);
        }
        var root = ImportedMap.ReadYaml(file);
        if (root.Kind != ConfigNodeKind.Map)
        {
            var at = includedAt?.Location ?? root.Location;
            throw new DeviceDescriptionException(at.File, [new DeviceDiagnostic(DiagnosticSeverity.Error, includedAt is null ? "(root)" : "include",
                $"'{file}' is not a Fuzzware configuration (a YAML mapping with memory_map, entry_point …)") { Location = at }]);
        }
        including.Add(file);
        if (root.Get("include") is { } include)
        {
            foreach (var item in include.Kind == ConfigNodeKind.List ? include.Items : [include])
            {
                if (item.Kind != ConfigNodeKind.Scalar || item.Text.Length == 0)
                {
                    throw new DeviceDescriptionException(file, [new DeviceDiagnostic(DiagnosticSeverity.Error, "include", "each include is a file name") { Location = item.Location }]);
                }
                Merge(map, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, item.Text)), entries, scalars, symbols, including, item);
            }
        }
        including.RemoveAt(including.Count - 1);
        if (root.Get("memory_map") is { Kind: ConfigNodeKind.Map } memoryMap)
        {
            foreach (var (name, node) in memoryMap.Entries)
            {
                if (node.Kind != ConfigNodeKind.Map)
                {
                    map.Error($"memory_map.{name}", node, "must be a mapping with base_addr and size");
                    continue;
                }
                entries[name] = (node, file);
            }
        }
        foreach (string key in new[] { "entry_point", "initial_sp" })
        {
            if (root.Get(key) is { } value)
            {
                scalars[key] = value;
            }
        }
        if (root.Get("symbols") is { Kind: ConfigNodeKind.Map } table)
        {
            foreach (var (address, name) in table.Entries)
            {
                if (ImportedMap.TryNumber(address, out ulong a))
                {
                    symbols[a] = name.Text;
                }
                else
                {
                    map.Error($"symbols.{address}", name, $"symbol key '{address}' is not an address");
                }
            }
        }
    }
}
