using System.Text;
using System.Text.Json;
using MemGate.Memory;
using Tomlyn.Syntax;
using YamlDotNet.RepresentationModel;

namespace MemGate.Devices.Config;

/// <summary>
/// Writes a <see cref="DeviceDescription"/> as TOML (through Tomlyn's syntax tree), YAML (YamlDotNet's
/// representation model) or JSON (<see cref="Utf8JsonWriter"/>), in the schema
/// <see cref="DeviceConfigReader"/> reads, so every device survives a round trip through every format.
/// </summary>
public static class DeviceConfigWriter
{
    /// <summary>The description as text in <paramref name="format"/>.</summary>
    public static string Write(DeviceDescription device, DeviceConfigFormat format)
    {
        ArgumentNullException.ThrowIfNull(device);
        var document = Document.From(device);
        return format switch
        {
            DeviceConfigFormat.Toml => ToToml(document),
            DeviceConfigFormat.Yaml => ToYaml(document),
            _ => ToJson(document),
        };
    }

    /// <summary>Writes the description to <paramref name="path"/> in the format its extension names.</summary>
    public static void Save(DeviceDescription device, string path) =>
        OutputFile.WriteAllText(path, Write(device, DeviceConfigReader.FormatOf(path)));

    // The file's shape, independent of format: two tables and three arrays of tables.
    private sealed record Document(Fields Device, Fields Memory, Fields Boot, Fields Limits, List<Fields> Spaces, List<Fields> Regions, List<Fields> Peripherals, List<Fields> Symbols, List<Fields> Rules, List<Fields> Triggers, List<Fields> Models, List<Fields> Hooks)
    {
        public static Document From(DeviceDescription d)
        {
            var device = new Fields { ["name"] = d.Name };
            Optional(device, "description", d.Description);
            Optional(device, "architecture", d.Architecture);
            Optional(device, "cpu", d.Cpu);
            device["endianness"] = d.ByteOrder == ByteOrder.BigEndian ? "big" : "little";
            Optional(device, "svd", d.Svd);
            var memory = new Fields
            {
                ["allocate_at_once"] = d.AllocateAtOnce,
                ["page_size"] = ByteSize.Format(d.PageSize),
                ["address_spaces"] = (long)d.Spaces.Count,
            };
            if (d.Unmodelled != UnmodelledPolicy.Plain)
            {
                memory["unmodelled"] = d.Unmodelled.ToString().ToLowerInvariant();
            }
            var spaces = d.Spaces.Select(s =>
            {
                var f = new Fields { ["name"] = s.Name, ["width"] = (long)s.AddressWidth };
                Optional(f, "description", s.Description);
                return f;
            }).ToList();
            var regions = d.Regions.Select(r =>
            {
                var f = new Fields
                {
                    ["name"] = r.Name,
                    ["guest_address"] = Hex(r.Start),
                    ["size"] = ByteSize.Format(r.Size),
                    ["permissions"] = PermissionsText.ToLetters(r.Permissions),
                    ["type"] = r.Type.ToString().ToLowerInvariant(),
                    ["space"] = r.Space,
                };
                if (r.AliasOf is not null)
                {
                    f["alias_of"] = r.AliasOf;
                    f["alias_mode"] = r.AliasMode == AliasMode.BitBand ? "bitband" : "mirror";
                }
                Optional(f, "layout", r.RegisterLayout);
                Optional(f, "file", r.InitFile);
                if (r.FileOffset != 0)
                {
                    f["file_offset"] = Hex(r.FileOffset);
                }
                if (r.FileSize is { } fileSize)
                {
                    f["file_size"] = Hex(fileSize);
                }
                if (r.LoadOffset != 0)
                {
                    f["load_offset"] = Hex(r.LoadOffset);
                }
                if (r.Unmodelled is { } policy)
                {
                    f["unmodelled"] = policy.ToString().ToLowerInvariant();
                }
                Optional(f, "description", r.Description);
                return f;
            }).ToList();
            var peripherals = d.Peripherals.Select(p =>
            {
                var f = new Fields { ["name"] = p.Name, ["base"] = Hex(p.Base), ["size"] = ByteSize.Format(p.Size), ["space"] = p.Space };
                Optional(f, "model", p.Model);
                if (p.Irqs.Count == 1)
                {
                    f["irq"] = (long)p.Irqs[0];
                }
                else if (p.Irqs.Count > 1)
                {
                    f["irq"] = p.Irqs.Select(l => (long)l).ToArray();
                }
                foreach (var (key, value) in p.Parameters)
                {
                    // Written back as the file had it where the type is plain; hex and text stay strings.
                    f[key] = value switch
                    {
                        "true" => true,
                        "false" => false,
                        _ when value.Length is > 0 and < 19 && value.All(char.IsAsciiDigit) => long.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
                        _ => value,
                    };
                }
                return f;
            }).ToList();
            var boot = new Fields();
            Optional(boot, "entry_point", d.Boot.EntryPoint is { } e ? Hex(e) : null);
            Optional(boot, "initial_sp", d.Boot.InitialStackPointer is { } sp ? Hex(sp) : null);
            Optional(boot, "vector_table", d.Boot.VectorTable is { } v ? Hex(v) : null);
            var limits = new Fields();
            foreach (var (key, value) in new[] { ("blocks", d.Limits.Blocks), ("interrupts", d.Limits.Interrupts), ("input_timeout", d.Limits.InputTimeout) })
            {
                if (value is { } count)
                {
                    limits[key] = (long)Math.Min(count, long.MaxValue);   // TOML integers are signed 64-bit
                }
            }
            var symbols = d.Symbols.Select(s => new Fields { ["name"] = s.Name, ["address"] = Hex(s.Address) }).ToList();
            var rules = d.Rules.Select(r =>
            {
                var f = new Fields { ["register"] = r.Register, ["field"] = r.Field };
                Optional(f, "reads", r.Reads);
                Optional(f, "follows", r.Follows);
                return f;
            }).ToList();
            var triggers = d.InterruptTriggers.Select(t =>
            {
                var f = new Fields { ["name"] = t.Name };
                if (t.Every is { } every)
                {
                    f["every"] = (long)every;
                }
                else if (t.EveryFuzzed)
                {
                    f["every"] = "fuzzed";
                }
                if (t.CountsBlocks)
                {
                    f["clock"] = "blocks";
                }
                Optional(f, "at", t.At);
                if (t.Irq is { } irq)
                {
                    f["irq"] = (long)irq;
                }
                else
                {
                    f["mode"] = t.Mode == InterruptTriggerMode.Fuzzed ? "fuzzed" : "round-robin";
                }
                if (t.Pends != 1)
                {
                    f["pends"] = (long)t.Pends;
                }
                if (t.Skips is { } skips)
                {
                    f["skips"] = (long)skips;
                }
                return f;
            }).ToList();
            var models = d.MmioModels.Select(m =>
            {
                var f = new Fields
                {
                    ["kind"] = m.Kind == Mmio.MmioInputModelKind.BitExtract ? "bit-extract" : m.Kind.ToString().ToLowerInvariant(),
                    ["address"] = Hex(m.Address),
                };
                if (m.Pc is { } pc)
                {
                    f["pc"] = Hex(pc);
                }
                switch (m.Kind)
                {
                    case Mmio.MmioInputModelKind.Constant or Mmio.MmioInputModelKind.Passthrough:
                        f["value"] = Hex(m.Value);
                        break;
                    case Mmio.MmioInputModelKind.BitExtract:
                        f["size"] = (long)m.Size;
                        f["left_shift"] = (long)m.LeftShift;
                        break;
                    case Mmio.MmioInputModelKind.Set:
                        f["values"] = m.Values.Select(v => (long)v).ToArray();
                        break;
                }
                return f;
            }).ToList();
            var hooks = d.Hooks.Select(h =>
            {
                var f = new Fields { ["at"] = h.At, ["action"] = h.Action == DeviceHookAction.Stop ? "stop" : "return" };
                if (h.ReturnValue is { } value)
                {
                    f["value"] = Hex(value);
                }
                return f;
            }).ToList();
            return new Document(device, memory, boot, limits, spaces, regions, peripherals, symbols, rules, triggers, models, hooks);
        }

        public IEnumerable<(string Name, List<Fields> Items)> Arrays =>
            [("spaces", Spaces), ("regions", Regions), ("peripherals", Peripherals), ("symbols", Symbols), ("rules", Rules), ("interrupt_triggers", Triggers), ("mmio_models", Models), ("hooks", Hooks)];

        // Tables that are written only when they hold something.
        public IEnumerable<(string Name, Fields Fields)> Tables =>
            new[] { ("device", Device), ("memory", Memory), ("boot", Boot), ("limits", Limits) }.Where(t => t.Item2.Count > 0);

        private static void Optional(Fields fields, string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                fields[key] = value;
            }
        }

        private static string Hex(ulong value) => value <= uint.MaxValue ? $"0x{value:X8}" : $"0x{value:X}";
    }

    // Insertion-ordered string → (string | long | bool | long[]).
    private sealed class Fields : List<KeyValuePair<string, object>>
    {
        public object this[string key]
        {
            set => Add(new(key, value));
        }
    }

    private static string ToToml(Document document)
    {
        var toml = new DocumentSyntax();
        void Table(string name, Fields fields, bool array)
        {
            TableSyntaxBase table = array ? new TableArraySyntax(name) : new TableSyntax(name);
            foreach (var (key, value) in fields)
            {
                ValueSyntax syntax = value switch
                {
                    bool b => new BooleanValueSyntax(b),
                    long l => new IntegerValueSyntax(l),
                    long[] list => new ArraySyntax(list.Select(l => (int)l).ToArray()),
                    _ => new StringValueSyntax((string)value),
                };
                table.Items.Add(new KeyValueSyntax(key, syntax));
            }
            toml.Tables.Add(table);
        }
        foreach (var (name, fields) in document.Tables)
        {
            Table(name, fields, array: false);
        }
        foreach (var (name, items) in document.Arrays)
        {
            foreach (var item in items)
            {
                Table(name, item, array: true);
            }
        }
        // Tomlyn writes tables back to back; a blank line between them reads better.
        return toml.ToString().Replace("\n[", "\n\n[", StringComparison.Ordinal);
    }

    private static string ToYaml(Document document)
    {
        static YamlMappingNode Map(Fields fields)
        {
            var map = new YamlMappingNode();
            foreach (var (key, value) in fields)
            {
                map.Add(key, value switch
                {
                    bool b => new YamlScalarNode(b ? "true" : "false"),
                    long l => new YamlScalarNode(l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    long[] list => new YamlSequenceNode(list.Select(l => new YamlScalarNode(l.ToString(System.Globalization.CultureInfo.InvariantCulture)))) { Style = YamlDotNet.Core.Events.SequenceStyle.Flow },
                    // Quoted so YAML never reads "0x08000000" or "rw" as anything but a string.
                    _ => new YamlScalarNode((string)value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted },
                });
            }
            return map;
        }
        var root = new YamlMappingNode();
        foreach (var (name, fields) in document.Tables)
        {
            root.Add(name, Map(fields));
        }
        foreach (var (name, items) in document.Arrays)
        {
            if (items.Count > 0)
            {
                root.Add(name, new YamlSequenceNode(items.Select(Map)));
            }
        }
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        string text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static string ToJson(Document document)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            void Object(Fields fields)
            {
                json.WriteStartObject();
                foreach (var (key, value) in fields)
                {
                    switch (value)
                    {
                        case bool b: json.WriteBoolean(key, b); break;
                        case long l: json.WriteNumber(key, l); break;
                        case long[] list:
                            json.WriteStartArray(key);
                            foreach (long l in list)
                            {
                                json.WriteNumberValue(l);
                            }
                            json.WriteEndArray();
                            break;
                        default: json.WriteString(key, (string)value); break;
                    }
                }
                json.WriteEndObject();
            }
            json.WriteStartObject();
            foreach (var (name, fields) in document.Tables)
            {
                json.WritePropertyName(name);
                Object(fields);
            }
            foreach (var (name, items) in document.Arrays)
            {
                if (items.Count == 0)
                {
                    continue;
                }
                json.WriteStartArray(name);
                foreach (var item in items)
                {
                    Object(item);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
