using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Devices.Import;

/// <summary>
/// Imports a HALucinator memory configuration: <c>memories</c> (name → base_addr, size, permissions,
/// file) and <c>peripherals</c> (name → base_addr, size, permissions, emulate). Files are relative to
/// the configuration, as HALucinator resolves them.
/// </summary>
/// <remarks>
/// Memories with a file or with execute-without-write permission are flash, others RAM; peripherals are
/// mmio regions, each with a peripheral whose model is the <c>emulate</c> class. HALucinator's own
/// default for a memory without permissions is read-write-execute; MemGate keeps that.
/// </remarks>
public static class HalucinatorImporter
{
    private static readonly string[] MemoryKeys = ["base_addr", "size", "permissions", "file", "emulate"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="DeviceDescriptionException">The file is malformed; every problem names its line.</exception>
    public static DeviceDescription Import(string path)
    {
        var map = new ImportedMap(path);
        var root = ImportedMap.ReadYaml(path);
        if (root.Get("memories") is not { Kind: ConfigNodeKind.Map } memories)
        {
            map.Error("memories", root, "missing: a HALucinator memory file lists its memories under 'memories:'");
            return map.Build("", "", "", "", new DeviceBoot());
        }
        foreach (var (name, node, field) in Items(map, memories, "memories"))
        {
            var permissions = map.Permissions(node, $"{field}.permissions") ?? Permissions.All;
            string? contents = map.Text(node, "file");
            var type = contents is not null || (permissions.HasFlag(Permissions.Execute) && !permissions.HasFlag(Permissions.Write))
                ? DeviceRegionType.Flash
                : DeviceRegionType.Ram;
            map.AddRegion(node, new DeviceRegion(name,
                map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0,
                map.Number(node, "size", $"{field}.size", required: true) ?? 0,
                permissions, type, DeviceDescription.DefaultSpace)
            {
                InitFile = contents,
            });
        }
        if (root.Get("peripherals") is { Kind: ConfigNodeKind.Map } peripherals)
        {
            foreach (var (name, node, field) in Items(map, peripherals, "peripherals"))
            {
                ulong start = map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0;
                ulong size = map.Number(node, "size", $"{field}.size", required: true) ?? 0;
                map.AddRegion(node, new DeviceRegion(name, start, size, map.Permissions(node, $"{field}.permissions") ?? Permissions.ReadWrite,
                    DeviceRegionType.Mmio, DeviceDescription.DefaultSpace));
                map.Peripherals.Add(new DevicePeripheral(name, start, size, DeviceDescription.DefaultSpace) { Model = map.Text(node, "emulate") });
            }
        }
        return map.Build(Path.GetFileNameWithoutExtension(path), $"Imported from HALucinator memory configuration {Path.GetFileName(path)}",
            "armv7-m", "cortex-m3", new DeviceBoot());
    }

    private static IEnumerable<(string Name, ConfigNode Node, string Field)> Items(ImportedMap map, ConfigNode section, string sectionName)
    {
        foreach (var (name, node) in section.Entries)
        {
            string field = $"{sectionName}.{name}";
            if (node.Kind != ConfigNodeKind.Map)
            {
                map.Error(field, node, "must be a mapping with base_addr and size");
                continue;
            }
            foreach (var (key, value) in node.Entries.Where(e => !MemoryKeys.Contains(e.Key)))
            {
                map.Error($"{field}.{key}", value, $"unknown field (known: {string.Join(", ", MemoryKeys)})");
            }
            yield return (name, node, field);
        }
    }
}
