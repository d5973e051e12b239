using MemGate.Devices.Config;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Devices.Import;

/// <summary>
/// Imports a Fuzzware <c>config.yml</c>: <c>memory_map</c> entries (base_addr, size, permissions, file with
/// Fuzzware's lookup and wildcards, file_offset, file_size, load_offset, is_entry, ivt_offset; an overlay
/// region, a DMA buffer inside RAM whose reads Fuzzware serves from the fuzz input, splits the RAM region around
/// it), <c>entry_point</c>, <c>initial_sp</c>, <c>symbols</c> and <c>include</c>
/// (other files merged first, relative to the including file; the including file wins). The entry region's
/// start becomes <c>[boot] vector_table</c>. Behaviour device files cannot describe yet (mmio_models,
/// interrupt_triggers, exit_at, handlers, …) is named in a warning.
/// </summary>
/// <remarks>
/// Fuzzware has no region types; they are inferred: a name starting with "mmio" (or Fuzzware's "nvic"
/// system block) is mmio, a region with a file, <c>is_entry</c> or execute-without-write permission is
/// flash, anything else RAM. Fuzzware targets Cortex-M3/M4, so the device is ARMv7-M.
/// </remarks>
public static class FuzzwareImporter
{
    private static readonly string[] EntryKeys = ["base_addr", "size", "permissions", "file", "file_offset", "file_size", "load_offset", "is_entry", "ivt_offset", "overlay"];

    // Top-level keys that describe behaviour a device file cannot hold yet: named in a warning, not silently dropped.
    private static readonly string[] LeftOut = [ "timers", "use_timers", "boot", "global_timer_scale"];

    // Fuzzware's limits (harness.py configure_unicorn): translation_blocks, interrupts and fuzz_consumption_timeout map
    // to the device's [limits]; trace_events limits Fuzzware's own tracing, which has no counterpart here.
    private static readonly string[] LimitKeys = ["translation_blocks", "interrupts", "fuzz_consumption_timeout"];

    /// <summary>Reads <paramref name="path"/> and the files it includes.</summary>
    /// <exception cref="DeviceDescriptionException">The file is malformed; every problem names its line.</exception>
    public static DeviceDescription Import(string path)
    {
        var map = new ImportedMap(path);
        string main = Path.GetFullPath(path);
        var entries = new Dictionary<string, (ConfigNode Node, string File)>(StringComparer.Ordinal);
        var scalars = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        var symbols = new Dictionary<ulong, string>();
        var seen = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        Merge(map, main, entries, scalars, symbols, seen, [], includedAt: null);
        if (entries.Count == 0)
        {
            throw new DeviceDescriptionException(path, [new DeviceDiagnostic(DiagnosticSeverity.Error, "memory_map",
                "the configuration (with what it includes) has no memory_map entries: nothing to import") { Location = new SourceLocation(path, 0, 0) }]);
        }
        foreach (string key in LeftOut.Where(seen.ContainsKey))
        {
            map.Warn(key, seen[key], $"'{key}' is not imported: MemGate device files do not describe it yet, so it does not take effect");
        }

        // The entry region (Fuzzware's rule): the one marked is_entry, else the lowest one backed by the only file there is.
        var fileBacked = entries.Where(e => e.Value.Node.Get("file") is not null).ToList();
        var marked = fileBacked.Where(e => map.Text(e.Value.Node, "is_entry") is "True" or "true").Select(e => e.Key).ToList();
        if (marked.Count > 1)
        {
            map.Error("memory_map", entries[marked[1]].Node, $"regions {string.Join(", ", marked)} are all marked is_entry; Fuzzware takes one");
        }
        string? entryRegion = marked.FirstOrDefault();
        if (entryRegion is null && fileBacked.Select(e => map.Text(e.Value.Node, "file")).Distinct(StringComparer.Ordinal).Count() == 1)
        {
            entryRegion = fileBacked.MinBy(e => map.Number(e.Value.Node, "base_addr", $"memory_map.{e.Key}.base_addr", required: false) ?? ulong.MaxValue).Key;
        }

        ulong? vectorTable = null;
        ulong? tableSp = null, tableEntry = null;
        var overlays = new List<(string Name, ConfigNode Node)>();
        foreach (var (name, (node, file)) in entries)
        {
            string field = $"memory_map.{name}";
            foreach (var (key, value) in node.Entries.Where(e => !EntryKeys.Contains(e.Key)))
            {
                map.Error($"{field}.{key}", value, $"unknown field (known: {string.Join(", ", EntryKeys)})");
            }
            if (map.Text(node, "overlay") is "True" or "true")
            {
                overlays.Add((name, node));   // after every other region, as Fuzzware maps them
                continue;
            }
            ulong start = map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0;
            string? pattern = map.Text(node, "file");
            string? contents = pattern is null ? null : ResolveFile(map, node.Get("file")!, $"{field}.file", pattern, file, main);
            ulong? givenSize = map.Number(node, "size", $"{field}.size", required: contents is null);
            ulong fileOffset = map.Number(node, "file_offset", $"{field}.file_offset", required: false) ?? 0;
            ulong loadOffset = map.Number(node, "load_offset", $"{field}.load_offset", required: false) ?? 0;
            ulong fileLength = contents is null ? 0 : (ulong)new FileInfo(contents).Length;
            ulong size = givenSize ?? fileLength;   // Fuzzware sizes a region without one from its file
            ulong? fileSize = map.Number(node, "file_size", $"{field}.file_size", required: false);
            ulong available = fileLength > fileOffset ? fileLength - fileOffset : 0;
            if (contents is not null && fileSize is null && available > size - Math.Min(loadOffset, size))
            {
                // Fuzzware reads size - load_offset bytes: a split binary's region takes its part of the file.
                fileSize = size - Math.Min(loadOffset, size);
                map.Warn($"{field}.file", node, $"region '{name}' takes the first 0x{fileSize:X} of the 0x{available:X} bytes of '{Path.GetFileName(contents)}' from offset 0x{fileOffset:X}, as Fuzzware does");
            }
            // Fuzzware's permissions default to rwx.
            var permissions = map.Permissions(node, $"{field}.permissions") ?? (Permissions.ReadWrite | Permissions.Execute);
            var type = IsFuzzed(name) || name.Equals("nvic", StringComparison.OrdinalIgnoreCase)
                ? DeviceRegionType.Mmio
                : contents is not null || name == entryRegion || (permissions.HasFlag(Permissions.Execute) && !permissions.HasFlag(Permissions.Write))
                    ? DeviceRegionType.Flash
                    : DeviceRegionType.Ram;
            map.AddRegion(node, new DeviceRegion(name, start, size, permissions, type, DeviceDescription.DefaultSpace)
            {
                InitFile = contents,   // absolute here; writers make it relative to where the device file goes
                Unmodelled = type == DeviceRegionType.Mmio && !IsFuzzed(name) ? UnmodelledPolicy.Plain : null,
                FileOffset = fileOffset,
                FileSize = fileSize,
                LoadOffset = loadOffset,
            });
            if (name == entryRegion)
            {
                // VTOR is the region's start; SP and PC come from the table at ivt_offset (Fuzzware reads them there).
                vectorTable = start;
                map.Remember("boot.vector_table", node);
                ulong ivt = map.Number(node, "ivt_offset", $"{field}.ivt_offset", required: false) ?? 0;
                if (ivt != 0 && contents is not null && ivt >= loadOffset)
                {
                    (tableSp, tableEntry) = ReadVectors(contents, fileOffset + (ivt - loadOffset));
                }
            }
        }
        foreach (var (name, node) in overlays)
        {
            ImportOverlay(map, name, node);
        }
        foreach (var (address, name) in symbols.OrderBy(s => s.Key))
        {
            map.Symbols.Add(new DeviceSymbol(name, address));
        }
        // Fuzzware turns SysTick on unless use_systick is false, and its NVIC with it (or with use_nvic: true).
        bool useSysTick = !(seen.TryGetValue("use_systick", out var sysTickFlag) && IsFalse(sysTickFlag));
        bool useNvic = useSysTick || (seen.TryGetValue("use_nvic", out var nvicFlag) && map.Text(Wrap(nvicFlag), "v") is "True" or "true");
        AddSystemControlSpaceRegion(map, seen);
        map.Peripherals.Add(SystemControlSpace(map, seen, useSysTick));
        if (!useNvic && seen.TryGetValue("use_nvic", out var noNvic))
        {
            map.Warn("use_nvic", noNvic, "false is taken only in part: interrupt triggers are left out, but MemGate still models the " +
                "System Control Space (NVIC and SCB registers, exception entry and return) where Fuzzware leaves it plain memory");
        }
        if (seen.TryGetValue("interrupt_triggers", out var triggers))
        {
            if (useNvic)
            {
                ImportTriggers(map, triggers);
            }
            else
            {
                map.Warn("interrupt_triggers", triggers, "left out: without use_nvic (or use_systick) Fuzzware does not pend interrupts");
            }
        }
        if (seen.TryGetValue("exit_at", out var exits) && !(seen.TryGetValue("use_exit_at", out var useExit) && useExit.Text is "False" or "false"))
        {
            ImportExits(map, exits);
        }
        if (seen.TryGetValue("handlers", out var handlers))
        {
            ImportHandlers(map, handlers);
        }
        if (seen.TryGetValue("mmio_models", out var models))
        {
            ImportModels(map, models);
        }
        foreach (var (key, node) in scalars)
        {
            map.Remember($"boot.{key}", node);
        }
        var boot = new DeviceBoot(
            scalars.TryGetValue("entry_point", out var ep) ? map.Number(Wrap(ep), "v", "entry_point", true) : tableEntry,
            scalars.TryGetValue("initial_sp", out var sp) ? map.Number(Wrap(sp), "v", "initial_sp", true) & ~3UL : tableSp,
            vectorTable);
        var limits = seen.TryGetValue("limits", out var limitsNode) ? ImportLimits(map, limitsNode) : null;
        string deviceName = Path.GetFileName(Path.GetDirectoryName(main)) is { Length: > 0 } dir ? dir : Path.GetFileNameWithoutExtension(path);
        // Fuzzware serves every MMIO read nothing models from the fuzz input; its system region (nvic) is plain memory there.
        return map.Build(deviceName, $"Imported from Fuzzware configuration {Path.GetFileName(path)}", "armv7-m", "cortex-m3", boot, UnmodelledPolicy.Input, limits);
    }

    // Fuzzware's rule for the regions whose reads come from the fuzz input (harness.py: rname.lower().startswith('mmio')).
    private static bool IsFuzzed(string name) => name.StartsWith("mmio", StringComparison.OrdinalIgnoreCase);

    // An overlay region (Fuzzware's harness.py: not mapped, lying over a mapped region) takes part in MMIO fuzzing when
    // its name starts with mmio: its reads come from the fuzz input, and what is written there is never read back. MemGate
    // regions do not overlap, so the RAM region it lies in is split around it: the overlay becomes an MMIO region
    // served from the input, the rest stays RAM (the page they share is then served through the MMIO path, slower).
    private static void ImportOverlay(ImportedMap map, string name, ConfigNode node)
    {
        string field = $"memory_map.{name}";
        ulong start = map.Number(node, "base_addr", $"{field}.base_addr", required: true) ?? 0;
        if (map.Number(node, "size", $"{field}.size", required: true) is not { } size)
        {
            return;   // (an error was recorded)
        }
        if (size == 0)
        {
            map.Warn(field, node, $"overlay region '{name}' is left out: its size is 0");
            return;
        }
        if (!IsFuzzed(name))
        {
            map.Warn(field, node, $"overlay region '{name}' is left out: its name does not start with 'mmio', so Fuzzware does nothing with it either");
            return;
        }
        ulong end = start + size;
        int index = map.Regions.FindIndex(r => r.Start <= start && end - r.Start <= r.Size && end > start);
        if (index < 0)
        {
            map.Warn(field, node, $"overlay region '{name}' (0x{size:X} bytes at 0x{start:X}) is left out: it does not lie inside one region (MemGate splits one RAM region around an overlay)");
            return;
        }
        var host = map.Regions[index];
        if (host.Type != DeviceRegionType.Ram || host.InitFile is not null)
        {
            map.Warn(field, node, $"overlay region '{name}' is left out: it lies in region '{host.Name}', which is not RAM without a file (MemGate splits only such regions around an overlay)");
            return;
        }
        // Fuzzware maps nothing for the overlay: the RAM's permissions apply there (its own are not used).
        var permissions = host.Permissions;
        var pieces = new List<(ConfigNode?, DeviceRegion)>();   // the RAM's pieces stay located at the RAM's entry
        if (start > host.Start)
        {
            pieces.Add((null, host with { Size = start - host.Start }));
        }
        pieces.Add((node, new DeviceRegion(name, start, size, permissions, DeviceRegionType.Mmio, DeviceDescription.DefaultSpace)));
        if (end < host.Start + host.Size)
        {
            pieces.Add((null, host with { Name = start > host.Start ? $"{host.Name}_after_{name}" : host.Name, Start = end, Size = host.Start + host.Size - end }));
        }
        map.ReplaceRegion(index, pieces);
        map.Warn(field, node, $"overlay region '{name}' [0x{start:X}, 0x{end:X}) is served from the fuzz input inside region '{host.Name}', " +
            "which is split around it (MemGate regions do not overlap); the page they share goes through the MMIO path");
    }

    // limits: translation_blocks (blocks per run), interrupts (exception entries per run), fuzz_consumption_timeout; 0 is
    // "no limit" in Fuzzware's help and here. Anything else under limits is named in a warning.
    private static DeviceLimits? ImportLimits(ImportedMap map, ConfigNode limits)
    {
        if (limits.Kind != ConfigNodeKind.Map)
        {
            map.Error("limits", limits, $"must be a mapping of {string.Join(", ", LimitKeys)}");
            return null;
        }
        foreach (var (key, node) in limits.Entries.Where(e => !LimitKeys.Contains(e.Key)))
        {
            map.Warn($"limits.{key}", node, $"'limits.{key}' is not imported: MemGate has no such limit, so it does not take effect (imported: {string.Join(", ", LimitKeys)})");
        }
        ulong? Limit(string key)
        {
            string field = $"limits.{key}";
            if (limits.Get(key) is not { } node)
            {
                return null;
            }
            if (node.Kind != ConfigNodeKind.Scalar || !ImportedMap.TryNumber(node.Text, out ulong value))
            {
                map.Error(field, node, $"'{node.Text}' is not a whole number of at least 0 (0: no limit)");
                return null;
            }
            return value;
        }
        var result = new DeviceLimits(Limit("translation_blocks"), Limit("interrupts"), Limit("fuzz_consumption_timeout"));
        return result.IsEmpty ? null : result;
    }

    private static bool IsFalse(ConfigNode node) => node.Text is "False" or "false";

    // Fuzzware's own NVIC and SysTick (cortexm_nvic.c, cortexm_systick.c), which the firmware's timing was tuned to: no handler
    // is preempted; SysTick counts basic blocks, its reload is kept within 500-1500 blocks (or systick.reload_val), and a
    // CSR read sets COUNTFLAG for the next one. Without use_systick, SysTick does not count.
    private static DevicePeripheral SystemControlSpace(ImportedMap map, Dictionary<string, ConfigNode> seen, bool useSysTick)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nesting"] = "false",
            ["systick"] = useSysTick ? "true" : "false",
            ["systick_clock"] = "blocks",
            ["systick_reload_min"] = "500",
            ["systick_reload_max"] = "1500",
            ["systick_read_sets_countflag"] = "true",
        };
        if (seen.TryGetValue("systick", out var sysTick) && sysTick.Kind == ConfigNodeKind.Map)
        {
            if (map.Number(sysTick, "reload_val", "systick.reload_val", required: false) is { } reload and > 0)
            {
                parameters["systick_reload"] = reload.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        if (seen.TryGetValue("nvic", out var nvic))
        {
            map.Warn("nvic", nvic, "num_vecs and disabled_irqs are not imported: the NVIC has 240 interrupt lines and all can be enabled");
        }
        // The ARMv7-M System Control Space model, by name: the peripheral layer lies above this one.
        return new DevicePeripheral("SCS", 0xE000_E000, 0x1000, DeviceDescription.DefaultSpace)
        {
            Model = "armv7m-scs",
            Parameters = parameters,
        };
    }

    // Fuzzware's NVIC and SysTick serve the System Control Space whatever the memory map says; its configs usually map
    // an nvic region there. One without gets an mmio region for the SCS model, or its device file would not validate.
    private static void AddSystemControlSpaceRegion(ImportedMap map, Dictionary<string, ConfigNode> seen)
    {
        const ulong start = 0xE000_E000, size = 0x1000;
        if (map.Regions.Any(r => r.Start < start + size && start < r.Start + r.Size) || !seen.TryGetValue("memory_map", out var memoryMap))
        {
            return;   // covered, or partly (validation then says what overlaps)
        }
        string name = map.Regions.Any(r => r.Name == "scs") ? "system_control_space" : "scs";
        map.AddRegion(memoryMap, new DeviceRegion(name, start, size, Permissions.ReadWrite, DeviceRegionType.Mmio, DeviceDescription.DefaultSpace)
        {
            Unmodelled = UnmodelledPolicy.Plain,
        });
        map.Warn("memory_map", memoryMap, $"no region covers the System Control Space [0xE000E000, 0xE000EFFF], which Fuzzware's NVIC and SysTick serve: added mmio region '{name}' for it");
    }

    // exit_at: name → address or symbol (none: the name is the symbol).
    private static void ImportExits(ImportedMap map, ConfigNode exits)
    {
        foreach (var (name, node) in exits.Kind == ConfigNodeKind.Map ? exits.Entries : [])
        {
            string at = node.Kind == ConfigNodeKind.Scalar && node.Text.Length > 0 && node.Text != "null" ? node.Text : name;
            map.Hooks.Add((new DeviceHook(at, DeviceHookAction.Stop), $"exit_at.{name}", node));
        }
    }

    // handlers: name → {addr (else the name is the symbol), handler (none: skip the function), do_return}.
    private static void ImportHandlers(ImportedMap map, ConfigNode handlers)
    {
        foreach (var (name, node) in handlers.Kind == ConfigNodeKind.Map ? handlers.Entries : [])
        {
            string field = $"handlers.{name}";
            string? handler = node.Kind == ConfigNodeKind.Scalar ? (node.Text is "" or "null" ? null : node.Text) : node.Kind == ConfigNodeKind.Map ? map.Text(node, "handler") : null;
            string at = node.Kind == ConfigNodeKind.Map ? map.Text(node, "addr") ?? name : name;
            ulong? value = handler switch
            {
                null => null,
                "native.return_0x0" => 0,
                "native.return_0x1" => 1,
                _ => ulong.MaxValue,
            };
            if (value == ulong.MaxValue)
            {
                map.Warn(field, node, $"handler '{handler}' runs Python (or patches code) in Fuzzware; left out");
                continue;
            }
            map.Hooks.Add((new DeviceHook(at, DeviceHookAction.Return) { ReturnValue = value }, field, node));
        }
    }

    // mmio_models: kind → {name → {addr, pc, val | init_val | size, left_shift | vals}}; addr and pc may be symbols.
    private static void ImportModels(ImportedMap map, ConfigNode models)
    {
        if (models.Kind != ConfigNodeKind.Map)
        {
            map.Warn("mmio_models", models, "is not a mapping of model kinds; left out");
            return;
        }
        foreach (var (kindName, entries) in models.Entries)
        {
            MmioInputModelKind? kind = kindName switch
            {
                "constant" => MmioInputModelKind.Constant,
                "passthrough" => MmioInputModelKind.Passthrough,
                "bitextract" => MmioInputModelKind.BitExtract,
                "set" => MmioInputModelKind.Set,
                "unmodeled" => MmioInputModelKind.Unmodeled,
                _ => null,
            };
            if (kind is null || entries.Kind != ConfigNodeKind.Map)
            {
                map.Warn($"mmio_models.{kindName}", entries, kind is null ? $"model kind '{kindName}' is not supported (linear and custom run Python in Fuzzware); left out" : "is not a mapping; left out");
                continue;
            }
            foreach (var (name, node) in entries.Entries)
            {
                string field = $"mmio_models.{kindName}.{name}";
                // An address, or the name of exactly one symbol (see Unplaceable).
                ulong? Address(string key) => map.Text(node, key) is { } text && Unplaceable(map, text) is null
                    ? ImportedMap.TryNumber(text, out ulong a) ? a : map.Symbols.Single(s => s.Name == text).Address
                    : null;
                if (node.Kind != ConfigNodeKind.Map || Address("addr") is not { } address)
                {
                    map.Warn(field, node, node.Kind == ConfigNodeKind.Map && map.Text(node, "addr") is { } named
                        ? $"addr '{named}' {Unplaceable(map, named)}; left out" : "has no addr; left out");
                    continue;
                }
                var values = node.Get("vals") is { Kind: ConfigNodeKind.List } list
                    ? list.Items.Select(v => ImportedMap.TryNumber(v.Text, out ulong n) ? n : 0).ToList()
                    : [];
                ulong? pc = Address("pc");
                if (pc is null && map.Text(node, "pc") is { } site)
                {
                    // Left as null the model would answer reads from every site, not the one named.
                    map.Warn($"{field}.pc", node, $"pc '{site}' {Unplaceable(map, site)}; left out");
                    continue;
                }
                if (kind == MmioInputModelKind.Constant && node.Get("val") is null)
                {
                    map.Warn($"{field}.val", node, "a constant model without val: its reads give 0");
                }
                map.MmioModels.Add(new MmioInputModel(kind.Value, address)
                {
                    Pc = pc is 0 ? null : pc,   // Fuzzware's pc 0: every access site
                    Value = map.Number(node, kind == MmioInputModelKind.Passthrough ? "init_val" : "val", $"{field}.val", required: false) ?? 0,
                    Size = (int)Math.Clamp(map.Number(node, "size", $"{field}.size", required: false) ?? 1, 1, 8),
                    LeftShift = (int)Math.Min(map.Number(node, "left_shift", $"{field}.left_shift", required: false) ?? 0, 63),
                    Values = values,
                });
            }
        }
    }

    // Why a location cannot be placed (null: it is an address, or the name of exactly one symbol). A name Fuzzware's symbol
    // lists give two addresses (static functions) is neither's: what is at it is left out rather than guessed.
    private static string? Unplaceable(ImportedMap map, string at) =>
        ImportedMap.TryNumber(at, out _) ? null
        : map.Symbols.Count(s => s.Name == at) switch
        {
            0 => "is neither an address nor one of the configuration's symbols",
            1 => null,
            _ => "is the name of several symbols",
        };

    // interrupt_triggers: when (every_nth_tick, or addr/address: a symbol or an address), what (irq, else fuzz_mode), num_pends, num_skips.
    private static void ImportTriggers(ImportedMap map, ConfigNode triggers)
    {
        if (triggers.Kind != ConfigNodeKind.Map)
        {
            map.Warn("interrupt_triggers", triggers, "is not a mapping of named triggers; left out");
            return;
        }
        foreach (var (name, node) in triggers.Entries)
        {
            string field = $"interrupt_triggers.{name}";
            if (node.Kind != ConfigNodeKind.Map)
            {
                map.Warn(field, node, "is not a mapping; left out");
                continue;
            }
            string? at = map.Text(node, "addr") ?? map.Text(node, "address");
            string? every = map.Text(node, "every_nth_tick");
            bool fuzzedInterval = at is null && every is "fuzzed" or "fuzz";
            // Fuzzware's native side takes an interval of 0 (or none) as its default, IRQ_DEFAULT_TIMER_INTERVAL: 1000 ticks.
            ulong? period = at is null && !fuzzedInterval ? (every is null ? 1000 : ImportedMap.TryNumber(every, out ulong n) ? (n == 0 ? 1000 : n) : null) : null;
            if (at is null && period is null && !fuzzedInterval)
            {
                map.Warn($"{field}.every_nth_tick", node, $"'{every}' is not a positive number; the trigger is left out");
                continue;
            }
            if (at is not null && Unplaceable(map, at) is { } why)
            {
                map.Warn($"{field}.addr", node, $"'{at}' {why}; the trigger is left out");
                continue;
            }
            // Fuzzware's irq is an exception number (nvic_set_pending takes one; its enabled list holds 16 + IRQn); a device's is the line.
            ulong? exception = map.Number(node, "irq", $"{field}.irq", required: false);
            if (exception is > 0 and < 16)
            {
                map.Warn($"{field}.irq", node, $"irq {exception} is a system exception, which a trigger here cannot pend; the trigger is left out");
                continue;
            }
            if (exception >= 16 + 240)
            {
                map.Warn($"{field}.irq", node, $"irq {exception} is past the NVIC's 240 interrupt lines (exceptions 16-255); the trigger is left out");
                continue;
            }
            int? irq = exception is { } number and >= 16 ? (int)number - 16 : null;
            string mode = (map.Text(node, "fuzz_mode") ?? "round_robin").ToLowerInvariant();
            if (mode.Contains("round", StringComparison.Ordinal) || mode.Contains("robin", StringComparison.Ordinal))
            {
                mode = "round_robin";   // Fuzzware's synonyms
            }
            // Fuzzware's older syntax: fuzzed: true picks the interrupt from the input (over any irq), fuzzed: false the given irq.
            switch (map.Text(node, "fuzzed"))
            {
                case "True" or "true":
                    (mode, irq) = ("fuzzed", null);
                    break;
                case "False" or "false" when irq is null:
                    map.Warn($"{field}.fuzzed", node, "fuzzed: false needs the irq to pend, which the trigger does not give; the trigger is left out");
                    continue;
            }
            if (mode is not ("round_robin" or "fuzzed" or "fuzz"))
            {
                // As for the trigger's other fields: a value Fuzzware does not know leaves the trigger out, said here.
                map.Warn($"{field}.fuzz_mode", node, $"fuzz_mode '{mode}' is neither round_robin nor fuzzed; the trigger is left out");
                continue;
            }
            map.InterruptTriggers.Add(new DeviceInterruptTrigger(name)
            {
                // Fuzzware's ticks are basic blocks.
                Every = period,
                EveryFuzzed = fuzzedInterval,
                CountsBlocks = at is null,
                At = at,
                Irq = irq,
                Mode = mode is "fuzzed" or "fuzz" ? InterruptTriggerMode.Fuzzed : InterruptTriggerMode.RoundRobin,
                Pends = (int)Math.Clamp(map.Number(node, "num_pends", $"{field}.num_pends", required: false) ?? 1, 1, 1_000_000),
                Skips = map.Number(node, "num_skips", $"{field}.num_skips", required: false) is { } skips ? (int)Math.Min(skips, 1_000_000) : null,
            });
        }
    }

    // Fuzzware's lookup: relative to the main config, or to the file naming it when written "./…"; a wildcard must match exactly one file.
    private static string? ResolveFile(ImportedMap map, ConfigNode at, string key, string pattern, string definedIn, string main)
    {
        string directory = Path.GetDirectoryName(pattern.StartsWith("./", StringComparison.Ordinal) ? definedIn : main)!;
        string full = Path.GetFullPath(Path.Combine(directory, pattern));
        if (pattern.IndexOfAny(['*', '?', '[']) < 0)
        {
            if (!System.IO.File.Exists(full))
            {
                map.Error(key, at, Directory.Exists(full) ? $"'{pattern}' names {full}, which is a folder, not a file" : $"'{pattern}' names {full}, which does not exist");
                return null;
            }
            return full;
        }
        string folder = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        if (folder.IndexOfAny(['*', '?', '[']) >= 0 || name.Contains('[', StringComparison.Ordinal))
        {
            map.Error(key, at, $"'{pattern}': only * and ? in the file name are supported, not in folders or [sets]");
            return null;
        }
        string[] matches = Directory.Exists(folder) ? Directory.GetFiles(folder, name).Order(StringComparer.Ordinal).ToArray() : [];
        if (matches.Length != 1)
        {
            map.Error(key, at, matches.Length == 0
                ? $"'{pattern}' matches no file in {folder}"
                : $"'{pattern}' matches {matches.Length} files ({string.Join(", ", matches.Select(Path.GetFileName))}); Fuzzware needs exactly one");
            return null;
        }
        return matches[0];
    }

    private static (ulong? Sp, ulong? Entry) ReadVectors(string file, ulong offset)
    {
        using var stream = System.IO.File.OpenRead(file);
        Span<byte> table = stackalloc byte[8];
        if (offset + 8 > (ulong)stream.Length)
        {
            return (null, null);
        }
        stream.Position = (long)offset;
        stream.ReadExactly(table);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(table) & ~3u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(table[4..]));
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
        Dictionary<ulong, string> symbols, Dictionary<string, ConfigNode> seen, List<string> including, ConfigNode? includedAt)
    {
        if (including.Contains(file) || including.Count > 16)
        {
            var at = includedAt?.Location ?? new SourceLocation(file, 0, 0);
            throw new DeviceDescriptionException(at.File, [new DeviceDiagnostic(DiagnosticSeverity.Error, "include",
                including.Contains(file) ? $"'{file}' includes itself (through {string.Join(" → ", including.Select(Path.GetFileName))})" : "includes nest deeper than 16 files") { Location = at }]);
        }
        ConfigNode root;
        try
        {
            root = map.ReadYaml(file);
        }
        catch (Exception e) when (includedAt is not null && e is IOException or UnauthorizedAccessException or MemGateException and not DeviceDescriptionException)
        {
            // The file is named by an include entry: the error points there, as for a bad entry.
            throw new DeviceDescriptionException(includedAt.Location.File, [new DeviceDiagnostic(DiagnosticSeverity.Error, "include",
                $"'{includedAt.Text}' cannot be read: {e.Message}") { Location = includedAt.Location }]);
        }
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
                Merge(map, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, item.Text)), entries, scalars, symbols, seen, including, item);
            }
        }
        including.RemoveAt(including.Count - 1);
        foreach (var (key, value) in root.Entries)
        {
            seen[key] = value;
        }
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
