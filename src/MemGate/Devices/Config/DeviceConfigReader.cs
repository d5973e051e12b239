using System.Globalization;
using System.Text.RegularExpressions;
using MemGate.Memory;

namespace MemGate.Devices.Config;

/// <summary>
/// Reads device descriptions from TOML, YAML or JSON files with one schema (the seed's TOML layout:
/// <c>[device]</c>, <c>[memory]</c>, <c>[[spaces]]</c>, <c>[[regions]]</c>, <c>[[peripherals]]</c>).
/// </summary>
/// <remarks>
/// Every problem is collected before anything is returned, and each names the file, line and column,
/// the field (<c>regions[1].size</c>) and the offending value. Sizes are <see cref="ByteSize"/> texts or
/// integers; addresses are hex (<c>"0x08000000"</c>) or decimal strings or integers.
/// </remarks>
public static partial class DeviceConfigReader
{
    private static readonly string[] DeviceKeys = ["name", "description", "architecture", "cpu", "endianness", "address_width", "svd"];
    private static readonly string[] MemoryKeys = ["allocate_at_once", "page_size", "address_spaces", "unmodelled"];
    private static readonly string[] RuleKeys = ["register", "field", "reads", "follows"];
    private static readonly string[] TriggerKeys = ["name", "every", "clock", "at", "irq", "mode", "pends", "skips"];
    private static readonly string[] ModelKeys = ["kind", "address", "pc", "value", "size", "left_shift", "values"];
    private static readonly string[] HookKeys = ["at", "action", "value"];
    private static readonly string[] SpaceKeys = ["name", "width", "description"];
    private static readonly string[] RegionKeys = ["name", "guest_address", "size", "permissions", "type", "space", "alias_of", "alias_mode", "file", "file_offset", "file_size", "load_offset", "layout", "unmodelled", "description"];
    private static readonly string[] BootKeys = ["entry_point", "initial_sp", "vector_table"];
    private static readonly string[] LimitKeys = ["blocks", "interrupts", "input_timeout"];
    private static readonly string[] SymbolKeys = ["name", "address"];
    private static readonly string[] PeripheralKeys = ["name", "base", "size", "space", "model", "irq"];
    private static readonly string[] RootKeys = ["device", "memory", "boot", "spaces", "regions", "peripherals", "symbols", "rules", "interrupt_triggers", "mmio_models", "hooks", "limits"];

    /// <summary>Reads a file; the format follows the extension (.toml, .yaml/.yml, .json).</summary>
    /// <exception cref="DeviceDescriptionException">The file is malformed or describes an invalid device.</exception>
    public static DeviceDescription Load(string path)
    {
        var format = FormatOf(path);
        var device = Parse(InputFile.ReadAllText(path, "Device file"), format, path);
        device.SourceFiles = [Path.GetFullPath(path)];
        return device;
    }

    /// <summary>The format a file name implies.</summary>
    /// <exception cref="DeviceDescriptionException">The extension is not one of .toml, .yaml, .yml, .json.</exception>
    public static DeviceConfigFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".toml" => DeviceConfigFormat.Toml,
        ".yaml" or ".yml" => DeviceConfigFormat.Yaml,
        ".json" => DeviceConfigFormat.Json,
        var other => throw new DeviceDescriptionException(path, [new DeviceDiagnostic(DiagnosticSeverity.Error, "(file)",
            $"unknown device file extension '{other}' (use .toml, .yaml, .yml or .json)") { Location = new SourceLocation(path, 0, 0) }]),
    };

    /// <summary>Reads a description from text; <paramref name="file"/> names it in errors.</summary>
    public static DeviceDescription Parse(string text, DeviceConfigFormat format, string file = "<text>")
    {
        var root = format switch
        {
            DeviceConfigFormat.Toml => TomlConfigParser.Parse(text, file),
            DeviceConfigFormat.Yaml => YamlConfigParser.Parse(text, file),
            _ => JsonConfigParser.Parse(text, file),
        };
        return new Binder(file).Bind(root);
    }

    private sealed partial class Binder(string file)
    {
        private readonly List<DeviceDiagnostic> _problems = [];
        private readonly Dictionary<string, SourceLocation> _locations = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _kept = new(StringComparer.Ordinal);   // per list: the file's index of each entry read

        public DeviceDescription Bind(ConfigNode root)
        {
            if (root.Kind != ConfigNodeKind.Map)
            {
                Error("(root)", root, "the document must be a table/mapping with device, memory and regions");
                Throw();
            }
            CheckKeys(root, "", RootKeys);
            var device = Section(root, "device");
            var memory = Section(root, "memory");
            var bootSection = Section(root, "boot");
            var boot = new DeviceBoot(
                Number(bootSection, "boot.entry_point", isSize: false),
                Number(bootSection, "boot.initial_sp", isSize: false),
                Number(bootSection, "boot.vector_table", isSize: false));
            var limitSection = Section(root, "limits");
            var limits = new DeviceLimits(
                Number(limitSection, "limits.blocks", isSize: false),
                Number(limitSection, "limits.interrupts", isSize: false),
                Number(limitSection, "limits.input_timeout", isSize: false));

            string name = StringValue(device, "device.name") ?? "";
            if (device?.Get("name") is null)
            {
                Error("device.name", device ?? root, "missing: every device needs a name");
            }
            string description = StringValue(device, "device.description") ?? "";
            string architecture = StringValue(device, "device.architecture") ?? "";
            string cpu = StringValue(device, "device.cpu") ?? "";
            if (Firmware.CpuProfile.Contradiction(architecture, cpu) is { } contradiction)
            {
                Error("device.architecture", device!.Get("architecture")!, contradiction);
            }
            var order = ByteOrder.LittleEndian;
            if (Text(device, "device.endianness") is { } endianness)
            {
                order = endianness.ToLowerInvariant() switch
                {
                    "little" => ByteOrder.LittleEndian,
                    "big" => ByteOrder.BigEndian,
                    _ => ErrorValue("device.endianness", device!.Get("endianness")!, "must be \"little\" or \"big\"", ByteOrder.LittleEndian),
                };
            }
            int width = Count(device, "device.address_width", 8, 64) ?? 32;

            bool allocateAtOnce = Bool(memory, "memory.allocate_at_once") ?? true;
            ulong pageSize = Number(memory, "memory.page_size", isSize: true) ?? 1;
            int spaceCount = Count(memory, "memory.address_spaces", 1, 16) ?? 1;
            var unmodelled = Policy(memory, "memory.unmodelled") ?? UnmodelledPolicy.Plain;
            string? svd = StringValue(device, "device.svd");

            var spaces = new List<DeviceAddressSpace>();
            var spaceList = List(root, "spaces");
            if (spaceList is not null)
            {
                for (int i = 0; i < spaceList.Items.Count; i++)
                {
                    var node = Item(spaceList, i, "spaces", SpaceKeys);
                    if (node is null)
                    {
                        continue;
                    }
                    string at = $"spaces[{i}]";
                    spaces.Add(new DeviceAddressSpace(
                        StringValue(node, $"{at}.name") ?? Missing($"{at}.name", node, ""),
                        Count(node, $"{at}.width", 8, 64) ?? width,
                        StringValue(node, $"{at}.description") ?? ""));
                }
                if (memory?.Get("address_spaces") is { } declared && spaces.Count != spaceCount)
                {
                    Error("memory.address_spaces", declared, $"says {spaceCount} but {spaces.Count} [[spaces]] are listed");
                }
            }
            else
            {
                for (int i = 0; i < spaceCount; i++)
                {
                    spaces.Add(new DeviceAddressSpace(spaceCount == 1 ? DeviceDescription.DefaultSpace : i.ToString(CultureInfo.InvariantCulture), width));
                }
            }
            string defaultSpace = spaces.Count > 0 ? spaces[0].Name : DeviceDescription.DefaultSpace;

            var regions = new List<DeviceRegion>();
            var regionList = List(root, "regions");
            for (int i = 0; i < (regionList?.Items.Count ?? 0); i++)
            {
                var node = Item(regionList!, i, "regions", RegionKeys);
                if (node is null)
                {
                    continue;
                }
                string at = $"regions[{i}]";
                var type = DeviceRegionType.Ram;
                bool typeKnown = false;
                if (Text(node, $"{at}.type") is { } typeText)
                {
                    typeKnown = TryName<DeviceRegionType>(typeText, out var t);
                    type = typeKnown
                        ? t
                        : ErrorValue($"{at}.type", node.Get("type")!, "unknown region type (use ram, flash, rom, mmio, storage, alias or registers)", DeviceRegionType.Ram);
                }
                else
                {
                    Missing($"{at}.type", node, "");
                }
                var permissions = DefaultPermissions(type);
                if (Text(node, $"{at}.permissions") is { } permText)
                {
                    if (!PermissionsText.TryParse(permText, out permissions, out char bad))
                    {
                        permissions = ErrorValue($"{at}.permissions", node.Get("permissions")!, $"unknown or repeated permission letter '{bad}' (use r, w, x, each once)", Permissions.None);
                    }
                }
                var mode = AliasMode.Mirror;
                if (Text(node, $"{at}.alias_mode") is { } modeText)
                {
                    mode = modeText.ToLowerInvariant() switch
                    {
                        "mirror" => AliasMode.Mirror,
                        "bitband" or "bit-band" or "bit_band" => AliasMode.BitBand,
                        _ => ErrorValue($"{at}.alias_mode", node.Get("alias_mode")!, "must be \"mirror\" or \"bitband\"", AliasMode.Mirror),
                    };
                    if (typeKnown && type != DeviceRegionType.Alias)   // a missing or unknown type has its own error
                    {
                        Error($"{at}.alias_mode", node.Get("alias_mode")!, $"only an alias region has an alias mode; this one is {type.ToString().ToLowerInvariant()} (give type = \"alias\" and alias_of, or drop alias_mode)");
                    }
                }
                regions.Add(new DeviceRegion(
                    StringValue(node, $"{at}.name") ?? Missing($"{at}.name", node, ""),
                    Number(node, $"{at}.guest_address", isSize: false) ?? Missing($"{at}.guest_address", node, 0UL),
                    Number(node, $"{at}.size", isSize: true) ?? Missing($"{at}.size", node, 0UL),
                    permissions,
                    type,
                    StringValue(node, $"{at}.space") ?? defaultSpace)
                {
                    AliasOf = StringValue(node, $"{at}.alias_of"),
                    AliasMode = mode,
                    InitFile = StringValue(node, $"{at}.file"),
                    FileOffset = Number(node, $"{at}.file_offset", isSize: false) ?? 0,
                    FileSize = Number(node, $"{at}.file_size", isSize: true),
                    LoadOffset = Number(node, $"{at}.load_offset", isSize: false) ?? 0,
                    Unmodelled = Policy(node, $"{at}.unmodelled"),
                    RegisterLayout = StringValue(node, $"{at}.layout"),
                    Description = StringValue(node, $"{at}.description") ?? "",
                });
            }
            if (regionList is null)
            {
                Error("regions", root, "missing: a device needs at least one [[regions]] entry");
            }

            var peripherals = new List<DevicePeripheral>();
            var peripheralList = List(root, "peripherals");
            for (int i = 0; i < (peripheralList?.Items.Count ?? 0); i++)
            {
                // With a model, keys beyond the common ones are the model's parameters (the peripheral layer checks them).
                bool modelled = peripheralList!.Items[i].Kind == ConfigNodeKind.Map && peripheralList.Items[i].Get("model") is not null;
                var node = Item(peripheralList!, i, "peripherals", modelled ? null : PeripheralKeys);
                if (node is null)
                {
                    continue;
                }
                string at = $"peripherals[{i}]";
                var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
                var locations = new Dictionary<string, SourceLocation> { [""] = node.Location };
                foreach (var (key, value) in node.Entries)
                {
                    locations[key] = value.Location;
                    if (!PeripheralKeys.Contains(key) && Text(node, $"{at}.{key}") is { } parameter)
                    {
                        parameters[key] = parameter;
                    }
                }
                peripherals.Add(new DevicePeripheral(
                    StringValue(node, $"{at}.name") ?? Missing($"{at}.name", node, ""),
                    Number(node, $"{at}.base", isSize: false) ?? Missing($"{at}.base", node, 0UL),
                    Number(node, $"{at}.size", isSize: true) ?? Missing($"{at}.size", node, 0UL),
                    StringValue(node, $"{at}.space") ?? defaultSpace)
                {
                    Model = StringValue(node, $"{at}.model"),
                    Irqs = Irqs(node, $"{at}.irq"),
                    Parameters = parameters,
                    Locations = locations,
                });
            }

            var symbols = new List<DeviceSymbol>();
            var symbolList = List(root, "symbols");
            for (int i = 0; i < (symbolList?.Items.Count ?? 0); i++)
            {
                var node = Item(symbolList!, i, "symbols", SymbolKeys);
                if (node is not null)
                {
                    symbols.Add(new DeviceSymbol(
                        StringValue(node, $"symbols[{i}].name") ?? Missing($"symbols[{i}].name", node, ""),
                        Number(node, $"symbols[{i}].address", isSize: false) ?? Missing($"symbols[{i}].address", node, 0UL)));
                }
            }

            var rules = new List<DeviceRule>();
            var ruleList = List(root, "rules");
            for (int i = 0; i < (ruleList?.Items.Count ?? 0); i++)
            {
                var node = Item(ruleList!, i, "rules", RuleKeys);
                if (node is not null)
                {
                    rules.Add(new DeviceRule(
                        StringValue(node, $"rules[{i}].register") ?? Missing($"rules[{i}].register", node, ""),
                        StringValue(node, $"rules[{i}].field") ?? Missing($"rules[{i}].field", node, ""))
                    {
                        Reads = Text(node, $"rules[{i}].reads"),
                        Follows = Text(node, $"rules[{i}].follows"),
                    });
                }
            }

            var triggers = new List<DeviceInterruptTrigger>();
            var triggerList = List(root, "interrupt_triggers");
            for (int i = 0; i < (triggerList?.Items.Count ?? 0); i++)
            {
                var node = Item(triggerList!, i, "interrupt_triggers", TriggerKeys);
                if (node is null)
                {
                    continue;
                }
                string at = $"interrupt_triggers[{i}]";
                bool everyFuzzed = node.Get("every") is { Kind: ConfigNodeKind.Scalar, IsString: true, Text: "fuzzed" };
                var trigger = new DeviceInterruptTrigger(StringValue(node, $"{at}.name") ?? $"trigger{i}")
                {
                    Every = everyFuzzed ? null : Number(node, $"{at}.every", isSize: false),
                    EveryFuzzed = everyFuzzed,
                    CountsBlocks = Text(node, $"{at}.clock") switch
                    {
                        null or "instructions" => false,
                        "blocks" => true,
                        _ => ErrorValue(at + ".clock", node.Get("clock")!, "must be \"instructions\" or \"blocks\"", false),
                    },
                    At = Text(node, $"{at}.at"),
                    Irq = Count(node, $"{at}.irq", 0, 495),
                    Mode = Text(node, $"{at}.mode") switch
                    {
                        null or "round-robin" => InterruptTriggerMode.RoundRobin,
                        "fuzzed" => InterruptTriggerMode.Fuzzed,
                        _ => ErrorValue(at + ".mode", node.Get("mode")!, "must be \"round-robin\" or \"fuzzed\"", InterruptTriggerMode.RoundRobin),
                    },
                    Pends = Count(node, $"{at}.pends", 1, 1_000_000) ?? 1,
                    Skips = Count(node, $"{at}.skips", 0, 1_000_000),
                };
                if ((trigger.Every is null && !everyFuzzed) == (trigger.At is null))
                {
                    Error(at, node, "give exactly one of every (instructions, or \"fuzzed\") and at (an address or symbol)");
                }
                else if (trigger.Every == 0)
                {
                    Error($"{at}.every", node.Get("every")!, "must be 1 or more instructions");
                }
                triggers.Add(trigger);
            }

            var mmioModels = new List<Mmio.MmioInputModel>();
            var modelList = List(root, "mmio_models");
            for (int i = 0; i < (modelList?.Items.Count ?? 0); i++)
            {
                var node = Item(modelList!, i, "mmio_models", ModelKeys);
                if (node is null)
                {
                    continue;
                }
                string at = $"mmio_models[{i}]";
                var kind = Text(node, $"{at}.kind") is { } kindText && TryName<Mmio.MmioInputModelKind>(kindText.Replace("-", "", StringComparison.Ordinal), out var k) ? k
                    : node.Get("kind") is { } kindNode ? ErrorValue(at + ".kind", kindNode, "must be constant, passthrough, bit-extract, set or unmodeled", Mmio.MmioInputModelKind.Unmodeled)
                    : Missing($"{at}.kind", node, Mmio.MmioInputModelKind.Unmodeled);
                var values = new List<ulong>();
                if (node.Get("values") is { } valueList)
                {
                    foreach (var item in valueList.Kind == ConfigNodeKind.List ? valueList.Items : [valueList])
                    {
                        if (item.Kind == ConfigNodeKind.Scalar && ConfigNumber.TryParse(item.Text, out ulong v))
                        {
                            values.Add(v);
                        }
                        else
                        {
                            Error($"{at}.values", item, $"{item.Describe()}: values is a list of numbers");
                        }
                    }
                }
                mmioModels.Add(new Mmio.MmioInputModel(kind, Number(node, $"{at}.address", isSize: false) ?? Missing($"{at}.address", node, 0UL))
                {
                    Pc = Number(node, $"{at}.pc", isSize: false),
                    Value = Number(node, $"{at}.value", isSize: false) ?? 0,
                    Size = Count(node, $"{at}.size", 1, 8) ?? 1,
                    LeftShift = Count(node, $"{at}.left_shift", 0, 63) ?? 0,
                    Values = values,
                });
            }

            var hooks = new List<DeviceHook>();
            var hookList = List(root, "hooks");
            for (int i = 0; i < (hookList?.Items.Count ?? 0); i++)
            {
                var node = Item(hookList!, i, "hooks", HookKeys);
                if (node is null)
                {
                    continue;
                }
                string at = $"hooks[{i}]";
                var action = Text(node, $"{at}.action") switch
                {
                    "stop" => DeviceHookAction.Stop,
                    "return" => DeviceHookAction.Return,
                    null => Missing($"{at}.action", node, DeviceHookAction.Stop),
                    _ => ErrorValue(at + ".action", node.Get("action")!, "must be \"stop\" or \"return\"", DeviceHookAction.Stop),
                };
                hooks.Add(new DeviceHook(Text(node, $"{at}.at") ?? Missing($"{at}.at", node, ""), action) { ReturnValue = Number(node, $"{at}.value", isSize: false) });
            }

            if (_problems.Count > 0)
            {
                // Report what validation finds too, over the regions and peripherals whose place was read (one without its
                // address or size would "overlap" its neighbours), unless the address spaces themselves are broken.
                if (!_problems.Any(p => p.Field.StartsWith("spaces", StringComparison.Ordinal) || p.Field.StartsWith("memory.address_spaces", StringComparison.Ordinal)
                    || p.Field.StartsWith("device.address_width", StringComparison.Ordinal)))
                {
                    var reported = _problems.Select(p => p.Field).ToHashSet(StringComparer.Ordinal);
                    var (placedRegions, regionIndices) = Placed(regions, "regions", "guest_address");
                    var (placedPeripherals, peripheralIndices) = Placed(peripherals, "peripherals", "base");
                    var indices = new Dictionary<string, List<int>>(StringComparer.Ordinal)
                    {
                        ["regions"] = regionIndices,
                        ["peripherals"] = peripheralIndices,
                        ["symbols"] = _kept.GetValueOrDefault("symbols") ?? [],
                        ["rules"] = _kept.GetValueOrDefault("rules") ?? [],
                    };
                    // The validator numbers the entries it was given; the file's numbers count the ones left out too.
                    string InFile(string text) => ListIndex().Replace(text, m =>
                        indices.TryGetValue(m.Groups[1].Value, out var map) && int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) is var k && k < map.Count
                            ? $"{m.Groups[1].Value}[{map[k]}]" : m.Value);
                    // With an entry left out, what is looked up in the regions (boot addresses, alias targets, a peripheral's
                    // mmio region) may be missing for that reason alone: only the regions' and peripherals' own findings count.
                    bool complete = placedRegions.Count == regions.Count && placedPeripherals.Count == peripherals.Count;
                    _problems.AddRange(DeviceValidator.Validate(new DeviceLayout(name, placedRegions, spaces, placedPeripherals, pageSize, boot, symbols, rules))
                        .Where(d => complete || (d.Field.StartsWith("regions[", StringComparison.Ordinal) && !d.Field.EndsWith(".alias_of", StringComparison.Ordinal))
                            || (d.Field.StartsWith("peripherals[", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error))
                        .Select(d => d with { Field = InFile(d.Field), Message = InFile(d.Message) })
                        .Where(d => !reported.Contains(d.Field))
                        .Select(d => d with { Location = Locate(d.Field) }));
                }
                Throw();
            }
            try
            {
                var result = new DeviceDescription(name, regions, spaces, peripherals, description, architecture, cpu, order, pageSize, allocateAtOnce, boot, symbols,
                    svd, unmodelled, rules, triggers, mmioModels, hooks, limits);
                result.FieldLocations = new Dictionary<string, SourceLocation>(_locations, StringComparer.Ordinal);
                result.Warnings = result.Warnings.Select(d => d with { Location = result.LocationOf(d.Field) }).ToList();
                return result;
            }
            catch (DeviceDescriptionException e)
            {
                // Same findings, now with the place in the file each field came from.
                var located = e.Diagnostics.Select(d => d with { Location = Locate(d.Field) }).ToList();
                throw new DeviceDescriptionException(file, located);
            }
        }

        // The entries of a list whose address and size were read, and each one's index in the file.
        private (List<T> Items, List<int> Indices) Placed<T>(List<T> items, string key, string address)
        {
            var kept = _kept.GetValueOrDefault(key) ?? [];
            var unplaced = _problems.Select(p => p.Field).ToHashSet(StringComparer.Ordinal);
            var placed = (Items: new List<T>(), Indices: new List<int>());
            for (int k = 0; k < items.Count; k++)
            {
                if (!unplaced.Contains($"{key}[{kept[k]}].{address}") && !unplaced.Contains($"{key}[{kept[k]}].size"))
                {
                    placed.Items.Add(items[k]);
                    placed.Indices.Add(kept[k]);
                }
            }
            return placed;
        }

        [GeneratedRegex(@"\b(regions|peripherals|symbols|rules)\[(\d+)\]")]
        private static partial Regex ListIndex();

        private SourceLocation? Locate(string field) => DeviceDescription.Nearest(_locations, field);

        private void Throw()
        {
            if (_problems.Count > 0)
            {
                throw new DeviceDescriptionException(file, _problems);
            }
        }

        private void Error(string field, ConfigNode node, string message) =>
            _problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, field, message) { Location = node.Location });

        private T ErrorValue<T>(string field, ConfigNode node, string message, T fallback)
        {
            Error(field, node, $"{node.Describe()}: {message}");
            return fallback;
        }

        // Called when a required value came back null: either absent (report it) or invalid (already reported).
        private T Missing<T>(string field, ConfigNode parent, T fallback)
        {
            if (parent.Get(field[(field.LastIndexOf('.') + 1)..]) is null)
            {
                Error(field, parent, "missing");
            }
            return fallback;
        }

        private ConfigNode? Section(ConfigNode root, string key)
        {
            var node = root.Get(key);
            if (node is null)
            {
                return null;
            }
            _locations[key] = node.Location;
            if (node.Kind != ConfigNodeKind.Map)
            {
                Error(key, node, $"must be a table, not {node.Describe()}");
                return null;
            }
            CheckKeys(node, key, key switch { "device" => DeviceKeys, "boot" => BootKeys, "limits" => LimitKeys, _ => MemoryKeys });
            return node;
        }

        private ConfigNode? List(ConfigNode root, string key)
        {
            var node = root.Get(key);
            if (node is null)
            {
                return null;
            }
            _locations[key] = node.Location;
            if (node.Kind != ConfigNodeKind.List)
            {
                Error(key, node, $"must be a list ([[{key}]]), not {node.Describe()}");
                return null;
            }
            return node;
        }

        // keys null: any key is accepted (each still gets its location).
        private ConfigNode? Item(ConfigNode list, int index, string key, string[]? keys)
        {
            var node = list.Items[index];
            string at = $"{key}[{index}]";
            _locations[at] = node.Location;
            if (node.Kind != ConfigNodeKind.Map)
            {
                Error(at, node, $"must be a table, not {node.Describe()}");
                return null;
            }
            CheckKeys(node, at, keys);
            (_kept.TryGetValue(key, out var kept) ? kept : _kept[key] = []).Add(index);
            return node;
        }

        // An interrupt line or a list of them: irq = 37, irq = [37, 38].
        private IReadOnlyList<int> Irqs(ConfigNode map, string field)
        {
            var node = map.Get("irq");
            if (node is null)
            {
                return [];
            }
            var items = node.Kind == ConfigNodeKind.List ? node.Items : [node];
            var lines = new List<int>();
            foreach (var item in items)
            {
                if (item.Kind != ConfigNodeKind.Scalar || !ConfigNumber.TryParse(item.Text, out ulong line) || line > 1023)
                {
                    Error(field, item, $"{item.Describe()}: an interrupt line is a number from 0 to 1023, or a list of them");
                    return [];
                }
                lines.Add((int)line);
            }
            return lines;
        }

        private void CheckKeys(ConfigNode map, string path, string[]? known)
        {
            foreach (var (key, value) in map.Entries)
            {
                string field = path.Length == 0 ? key : $"{path}.{key}";
                _locations[field] = value.Location;
                if (known is not null && !known.Contains(key))
                {
                    Error(field, value, $"unknown field (known: {string.Join(", ", known)})");
                }
            }
        }

        private string? Text(ConfigNode? map, string field)
        {
            var node = map?.Get(field[(field.LastIndexOf('.') + 1)..]);
            if (node is null)
            {
                return null;
            }
            if (node.Kind != ConfigNodeKind.Scalar)
            {
                return ErrorValue<string?>(field, node, "must be a single value", null);
            }
            if (ConfigNode.FindUnwritable(node.Text) is int at)
            {
                // Escapes can still smuggle these in; refused here so convert never writes what cannot be read back.
                return ErrorValue<string?>(field, node, $"contains U+{(int)node.Text[at]:X4} at character {at + 1}: no control characters, unpaired surrogates or U+FFFD", null);
            }
            return node.Text;
        }

        // Names, paths and descriptions: a string, not a number or boolean the format typed as such (`name = 42` is a
        // slip, not "42"; YAML's plain `name: R1` is a string, its plain `42` or `true` is not). A null (YAML's empty
        // `description:` or `~`, JSON's null) is as if the field were left out.
        private string? StringValue(ConfigNode? map, string field)
        {
            string? text = Text(map, field);
            var node = map?.Get(field[(field.LastIndexOf('.') + 1)..]);
            return text is null || node is null || node.IsString ? text
                : text is "" or "~" or "null" or "Null" or "NULL" ? null
                : ErrorValue<string?>(field, node, $"must be a string (\"{text}\")", null);
        }

        private UnmodelledPolicy? Policy(ConfigNode? map, string field) => Text(map, field) is not { } text ? null
            : TryName<UnmodelledPolicy>(text, out var policy) ? policy
            : ErrorValue<UnmodelledPolicy?>(field, map!.Get("unmodelled")!, "must be \"plain\", \"fault\", \"ignore\", \"record\" or \"input\"", null);

        private bool? Bool(ConfigNode? map, string field) => Text(map, field) switch
        {
            null => null,
            "true" or "True" => true,
            "false" or "False" => false,
            _ => ErrorValue<bool?>(field, map!.Get(field[(field.LastIndexOf('.') + 1)..])!, "must be true or false", null),
        };

        // Addresses and counts: hex ("0x…") or decimal. Sizes additionally take units ("4KB", "1GiB").
        private ulong? Number(ConfigNode? map, string field, bool isSize)
        {
            string? text = Text(map, field);
            if (text is null)
            {
                return null;
            }
            var node = map!.Get(field[(field.LastIndexOf('.') + 1)..])!;
            if (isSize)
            {
                return ByteSize.TryParse(text, out ulong size, out string? error) ? size : ErrorValue<ulong?>(field, node, $"not a size ({error}); write 512, 4KB, 64MiB or 0x1B", null);
            }
            return ConfigNumber.TryParse(text, out ulong value, out string problem) ? value : ErrorValue<ulong?>(field, node, $"{problem}; write hex (0x20000000) or decimal", null);
        }

        // Widths and counts: range-checked in the full 64 bits before narrowing, so 4294967328 is not 32.
        private int? Count(ConfigNode? map, string field, int min, int max)
        {
            ulong? value = Number(map, field, isSize: false);
            if (value is null)
            {
                return null;
            }
            if (value < (ulong)min || value > (ulong)max)
            {
                return ErrorValue<int?>(field, map!.Get(field[(field.LastIndexOf('.') + 1)..])!, $"must be between {min} and {max}", null);
            }
            return (int)value;
        }

        // A member's name, in any case; Enum.TryParse would also take numbers ("99") and flag lists ("flash, rom").
        private static bool TryName<T>(string text, out T value) where T : struct, Enum
        {
            foreach (var candidate in Enum.GetValues<T>())
            {
                if (string.Equals(candidate.ToString(), text, StringComparison.OrdinalIgnoreCase))
                {
                    value = candidate;
                    return true;
                }
            }
            value = default;
            return false;
        }

        private static Permissions DefaultPermissions(DeviceRegionType type) => type switch
        {
            DeviceRegionType.Flash or DeviceRegionType.Rom => Permissions.ReadExecute,
            _ => Permissions.ReadWrite,
        };
    }
}
