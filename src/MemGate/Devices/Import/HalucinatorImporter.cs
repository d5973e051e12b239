using MemGate.Devices.Config;
using MemGate.Memory;

namespace MemGate.Devices.Import;

/// <summary>
/// Imports a HALucinator memory configuration: <c>memories</c> (name → base_addr, size, permissions,
/// file), <c>peripherals</c> (name → base_addr, size, permissions, emulate, qemu_name, irq) and
/// <c>machine</c> (cpu_model, entry_addr, init_sp, vector_base). Files are relative to the configuration, as HALucinator
/// resolves them; a key given twice keeps its last value, as PyYAML does, with a warning. Other top-level
/// sections (intercepts, symbols, options) are named in a warning: they are not imported.
/// </summary>
/// <remarks>
/// Memories with a file or with execute-without-write permission are flash, others RAM; peripherals are
/// mmio regions, each with a peripheral entry (the <c>emulate</c> class in the region's description). HALucinator's own
/// default for a memory without permissions is read-write-execute; MemGate keeps that.
/// </remarks>
public static class HalucinatorImporter
{
    private static readonly string[] MemoryKeys = ["base_addr", "size", "permissions", "file", "emulate", "qemu_name", "irq", "properties", "regions", "alias_at"];

    // Fields of HALucinator's QEMU-model peripherals that a MemGate device file has no place for yet: named in a warning.
    private static readonly string[] LeftOut = ["properties", "regions", "alias_at"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="DeviceDescriptionException">The file is malformed; every problem names its line.</exception>
    public static DeviceDescription Import(string path)
    {
        var map = new ImportedMap(path);
        var root = map.ReadYaml(path);
        if (root.Get("memories") is not { Kind: ConfigNodeKind.Map } memories || memories.Entries.Count == 0)
        {
            throw new DeviceDescriptionException(path, [new DeviceDiagnostic(DiagnosticSeverity.Error, "memories",
                "missing or empty: a HALucinator memory file lists its memories under 'memories:'; nothing to import") { Location = root.Location }]);
        }
        var (cpu, architecture, boot) = Machine(map, root.Get("machine"));
        foreach (var (key, node) in root.Entries.Where(e => e.Key is not ("memories" or "peripherals" or "machine")))
        {
            map.Warn(key, node, $"'{key}' is not imported: MemGate takes a HALucinator configuration's memories, peripherals and machine");
        }
        foreach (var (name, node, field) in Items(map, memories, "memories"))
        {
            var permissions = map.Permissions(node, $"{field}.permissions") ?? Permissions.All;
            string? contents = map.Text(node, "file");
            var type = contents is not null || (permissions.HasFlag(Permissions.Execute) && !permissions.HasFlag(Permissions.Write))
                ? DeviceRegionType.Flash
                : DeviceRegionType.Ram;
            string? file = contents is null ? null : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, contents));
            if (file is not null && !File.Exists(file))
            {
                map.Error($"{field}.file", node.Get("file")!, $"'{contents}' names {file}, which does not exist");   // as HALucinator would fail loading it
            }
            map.AddRegion(node, new DeviceRegion(name,
                map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0,
                map.Number(node, "size", $"{field}.size", required: true) ?? 0,
                permissions, type, DeviceDescription.DefaultSpace)
            {
                InitFile = file,
            });
            foreach (string key in MemoryKeys.Except(["base_addr", "size", "permissions", "file"]).Where(k => node.Get(k) is not null))
            {
                map.Warn($"{field}.{key}", node.Get(key)!, $"'{key}' is not imported: on a memory it configures HALucinator's QEMU, which MemGate does not have");
            }
        }
        if (root.Get("peripherals") is { Kind: ConfigNodeKind.Map } peripherals)
        {
            foreach (var (name, node, field) in Items(map, peripherals, "peripherals"))
            {
                ulong start = map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0;
                ulong size = map.Number(node, "size", $"{field}.size", required: true) ?? 0;
                // HALucinator's emulate/qemu_name name its Python or QEMU classes, not MemGate models: kept as the region's description.
                string what = string.Join(", ", new[] { ("emulate", map.Text(node, "emulate")), ("qemu_name", map.Text(node, "qemu_name")) }
                    .Where(p => p.Item2 is not null).Select(p => $"HALucinator {p.Item1} {p.Item2}"));
                map.AddRegion(node, new DeviceRegion(name, start, size, map.Permissions(node, $"{field}.permissions") ?? Permissions.ReadWrite,
                    DeviceRegionType.Mmio, DeviceDescription.DefaultSpace) { Description = what });
                map.Peripherals.Add(new DevicePeripheral(name, start, size, DeviceDescription.DefaultSpace) { Irqs = Irqs(map, node, $"{field}.irq") });
                foreach (string key in LeftOut.Where(k => node.Get(k) is not null))
                {
                    map.Warn($"{field}.{key}", node.Get(key)!, $"'{key}' is not imported: it configures HALucinator's QEMU model, which MemGate does not have");
                }
            }
        }
        return map.Build(Path.GetFileNameWithoutExtension(path), $"Imported from HALucinator memory configuration {Path.GetFileName(path)}",
            architecture, cpu, boot);
    }

    // machine: {arch, cpu_model, entry_addr, init_sp, vector_base}: HALucinator runs Cortex-M3 unless it says otherwise;
    // it starts at entry_addr with SP = init_sp where given, and vector_base is where exceptions vector (VTOR).
    private static (string Cpu, string Architecture, DeviceBoot Boot) Machine(ImportedMap map, ConfigNode? machine)
    {
        if (machine is not { Kind: ConfigNodeKind.Map })
        {
            return ("cortex-m3", "armv7-m", new DeviceBoot());
        }
        var boot = new DeviceBoot(
            EntryPoint: map.Number(machine, "entry_addr", "machine.entry_addr", required: false),
            InitialStackPointer: map.Number(machine, "init_sp", "machine.init_sp", required: false),
            VectorTable: map.Number(machine, "vector_base", "machine.vector_base", required: false));
        // The device's checks of these name the boot fields: found at the machine settings they came from.
        foreach (var (setting, field) in new[] { ("entry_addr", "boot.entry_point"), ("init_sp", "boot.initial_sp"), ("vector_base", "boot.vector_table") })
        {
            if (machine.Get(setting) is { } node)
            {
                map.Remember(field, node);
            }
        }
        foreach (var (setting, node) in machine.Entries.Where(e => e.Key is not ("arch" or "cpu_model" or "entry_addr" or "init_sp" or "vector_base" or "gdb_exe" or "gdb_arch" or "machine")))
        {
            map.Warn($"machine.{setting}", node, $"'{setting}' is not a HALucinator machine setting MemGate knows; left out");
        }
        // The model decides; without one, the architecture names the core (HALucinator writes both, e.g. cortex-m3).
        string key = machine.Get("cpu_model") is not null ? "cpu_model" : "arch";
        string arch = (map.Text(machine, "arch") ?? "cortex-m3").ToLowerInvariant();
        string model = key == "arch" ? arch : (map.Text(machine, key) ?? "cortex-m3").ToLowerInvariant();
        return model switch
        {
            "cortex-m3" => ("cortex-m3", "armv7-m", boot),
            "cortex-m4" => ("cortex-m4", "armv7e-m", boot),
            "cortex-a53" or "arm64" or "aarch64" => ("cortex-a53", "armv8-a", boot),
            _ => Unsupported(),
        };

        (string, string, DeviceBoot) Unsupported()
        {
            map.Warn($"machine.{key}", machine.Get(key)!, key == "cpu_model"
                ? $"cpu_model '{model}' (arch '{arch}') has no MemGate machine; the device says cortex-m3"
                : $"arch '{arch}' (no cpu_model) has no MemGate machine; the device says cortex-m3");
            return ("cortex-m3", "armv7-m", boot);
        }
    }

    private static IReadOnlyList<int> Irqs(ImportedMap map, ConfigNode node, string field)
    {
        var irq = node.Get("irq");
        if (irq is null)
        {
            return [];
        }
        var lines = new List<int>();
        foreach (var item in irq.Kind == ConfigNodeKind.List ? irq.Items : irq.Kind == ConfigNodeKind.Map ? irq.Entries.Select(e => e.Value) : [irq])
        {
            if (item.Kind == ConfigNodeKind.Scalar && ImportedMap.TryNumber(item.Text, out ulong line) && line <= 1023)
            {
                lines.Add((int)line);
            }
            else
            {
                map.Warn(field, item, $"{item.Describe()} is not an interrupt number; left out");
            }
        }
        return lines;
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
