using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace MemGate.Mmio.Svd;

/// <summary>
/// Reads CMSIS-SVD files (System.Xml.Linq, no schema needed): peripherals with <c>derivedFrom</c>,
/// <c>dim</c> arrays (<c>dimIncrement</c>, <c>dimIndex</c> lists and ranges, <c>%s</c> and <c>[%s]</c>
/// names), clusters, registers (size, resetValue, resetMask, access, readAction, modifiedWriteValues,
/// alternateRegister) and fields (bitOffset+bitWidth, bitRange, lsb+msb) with enumerated values.
/// Register properties (size, access, resetValue, resetMask) are inherited device → peripheral →
/// cluster → register.
/// </summary>
/// <remarks>
/// <c>derivedFrom</c> is resolved by copying the base element and letting the deriving element's own
/// children replace the base's children of the same name — the SVD rule — at every level. A malformed
/// file raises <see cref="SvdFormatException"/> with the line and element; nothing is half-returned.
/// </remarks>
public static class SvdReader
{
    /// <summary>Reads an SVD file.</summary>
    public static SvdDevice Load(string path)
    {
        return Parse(InputFile.ReadAllText(path, "SVD file"), path);
    }

    /// <summary>Reads SVD text; <paramref name="file"/> names it in errors.</summary>
    public static SvdDevice Parse(string text, string file = "<svd>")
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(text, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new SvdFormatException(file, e.LineNumber, "xml", e.Message, e);
        }
        return new Reader(file).Device(document.Root!);
    }

    // Register properties inherited downwards.
    private readonly record struct Defaults(int SizeBits, FieldAccess Access, ulong ResetValue, ulong ResetMask);

    private sealed class Reader(string file)
    {
        public SvdDevice Device(XElement device)
        {
            if (device.Name.LocalName != "device")
            {
                throw Fail(device, "device", $"the root element is <{device.Name.LocalName}>, not <device>");
            }
            var defaults = Properties(device, "device", new Defaults(32, FieldAccess.ReadWrite, 0, ulong.MaxValue));
            var peripheralsElement = device.Element("peripherals") ?? throw Fail(device, "device", "has no <peripherals>");
            var elements = peripheralsElement.Elements("peripheral").ToList();
            var byName = new Dictionary<string, XElement>(StringComparer.Ordinal);
            foreach (var p in elements)
            {
                byName[Required(p, "peripheral", "name")] = p;
            }
            var peripherals = new List<SvdPeripheral>();
            foreach (var raw in elements)
            {
                string path = $"peripheral[{Required(raw, "peripheral", "name")}]";
                string? derivedFrom = (string?)raw.Attribute("derivedFrom");
                var element = Derive(raw, path, derivedFrom is null ? null : byName.GetValueOrDefault(derivedFrom)
                    ?? throw Fail(raw, path, $"derivedFrom '{derivedFrom}' names no peripheral"));
                foreach (var (name, offset) in Dim(element, path, Required(element, path, "name")))
                {
                    string at = $"peripheral[{name}]";
                    ulong baseAddress = Number(element, at, "baseAddress") + offset;
                    var local = Properties(element, at, defaults);
                    var registers = new List<RegisterDefinition>();
                    Collect(element.Element("registers"), at, 0, local, registers, "");
                    ulong size = Extent(element, at, registers);
                    peripherals.Add(new SvdPeripheral(name, baseAddress, size, registers)
                    {
                        Description = Clean((string?)element.Element("description")),
                        GroupName = (string?)element.Element("groupName") ?? "",
                        DerivedFrom = derivedFrom,
                    });
                }
            }
            return new SvdDevice(Required(device, "device", "name"), peripherals) { File = file };
        }

        // Registers and clusters of a <registers> or <cluster>, with offsets from the peripheral base.
        private void Collect(XElement? container, string path, ulong baseOffset, Defaults defaults, List<RegisterDefinition> into, string prefix)
        {
            if (container is null)
            {
                return;
            }
            var siblings = container.Elements().Where(e => e.Name.LocalName is "register" or "cluster")
                .GroupBy(e => (string?)e.Element("name") ?? "").ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var raw in container.Elements())
            {
                string kind = raw.Name.LocalName;
                if (kind is not ("register" or "cluster"))
                {
                    continue;
                }
                string rawName = Required(raw, path, "name");
                string at = $"{path}/{kind}[{rawName}]";
                string? derivedFrom = (string?)raw.Attribute("derivedFrom");
                var element = Derive(raw, at, derivedFrom is null ? null
                    : siblings.GetValueOrDefault(derivedFrom) ?? siblings.GetValueOrDefault(derivedFrom.Split('.')[^1])
                      ?? throw Fail(raw, at, $"derivedFrom '{derivedFrom}' names no {kind} here"));
                var local = Properties(element, at, defaults);
                foreach (var (name, offset) in Dim(element, at, Required(element, at, "name")))
                {
                    ulong address = baseOffset + Number(element, at, "addressOffset") + offset;
                    if (kind == "cluster")
                    {
                        Collect(element, $"{path}/cluster[{name}]", address, local, into, $"{prefix}{name}.");
                    }
                    else
                    {
                        into.Add(Register(element, $"{path}/register[{name}]", prefix + name, address, local, prefix, into));
                    }
                }
            }
        }

        private RegisterDefinition Register(XElement element, string at, string name, ulong offset, Defaults defaults, string prefix, List<RegisterDefinition> sofar)
        {
            if (defaults.SizeBits is not (8 or 16 or 32 or 64))
            {
                throw Fail(element, at, $"register size {defaults.SizeBits} bits is not 8, 16, 32 or 64");
            }
            var fields = new List<RegisterField>();
            var fieldsElement = element.Element("fields");
            if (fieldsElement is not null)
            {
                var siblings = fieldsElement.Elements("field").GroupBy(f => (string?)f.Element("name") ?? "").ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                foreach (var raw in fieldsElement.Elements("field"))
                {
                    string fieldAt = $"{at}/field[{Required(raw, at, "name")}]";
                    string? derivedFrom = (string?)raw.Attribute("derivedFrom");
                    var field = Derive(raw, fieldAt, derivedFrom is null ? null
                        : siblings.GetValueOrDefault(derivedFrom.Split('.')[^1]) ?? throw Fail(raw, fieldAt, $"derivedFrom '{derivedFrom}' names no field here"));
                    var (bitOffset, bitWidth) = Bits(field, fieldAt);
                    foreach (var (fieldName, step) in Dim(field, fieldAt, Required(field, fieldAt, "name")))
                    {
                        int position = bitOffset + (int)step;
                        if (bitWidth < 1 || position + bitWidth > defaults.SizeBits)
                        {
                            throw Fail(field, fieldAt, $"bits {position}+{bitWidth} do not fit the {defaults.SizeBits}-bit register");
                        }
                        fields.Add(new RegisterField(fieldName, position, bitWidth)
                        {
                            Access = field.Element("access") is { } a ? Access(a, fieldAt) : defaults.Access,
                            WriteAction = WriteActionOf(field, fieldAt) ?? WriteActionOf(element, at) ?? Mmio.WriteAction.Modify,
                            ReadAction = ReadActionOf(field, fieldAt) ?? ReadActionOf(element, at) ?? Mmio.ReadAction.None,
                            Description = Clean((string?)field.Element("description")),
                            Values = Enumerated(field, fieldAt),
                        });
                    }
                }
            }
            for (int i = 0; i < fields.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if ((fields[i].Mask & fields[j].Mask) != 0)
                    {
                        throw Fail(element, at, $"fields '{fields[j].Name}' and '{fields[i].Name}' overlap");
                    }
                }
            }
            // SVD marks alternates either way: alternateRegister names the primary; alternateGroup shares an offset.
            string? alternate = (string?)element.Element("alternateRegister") is { } primary ? prefix + primary : null;
            alternate ??= sofar.FirstOrDefault(r => r.Offset == offset && r.AlternateOf is null && (string?)element.Element("alternateGroup") is not null)?.Name;
            return new RegisterDefinition(name, offset, defaults.SizeBits)
            {
                ResetValue = defaults.ResetValue,
                ResetMask = defaults.ResetMask,
                Access = defaults.Access,
                Fields = fields,
                Description = Clean((string?)element.Element("description")),
                AlternateOf = alternate,
            };
        }

        private (int Offset, int Width) Bits(XElement field, string at)
        {
            if (field.Element("bitOffset") is not null)
            {
                return ((int)Number(field, at, "bitOffset"), field.Element("bitWidth") is null ? 1 : (int)Number(field, at, "bitWidth"));
            }
            if (field.Element("lsb") is not null || field.Element("msb") is not null)
            {
                int lsb = (int)Number(field, at, "lsb");
                int msb = (int)Number(field, at, "msb");
                return msb >= lsb ? (lsb, msb - lsb + 1) : throw Fail(field, at, $"msb {msb} is below lsb {lsb}");
            }
            if ((string?)field.Element("bitRange") is { } range)
            {
                var parts = range.Trim().TrimStart('[').TrimEnd(']').Split(':');
                if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int msb)
                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int lsb) && msb >= lsb)
                {
                    return (lsb, msb - lsb + 1);
                }
                throw Fail(field.Element("bitRange")!, at, $"bitRange '{range}' is not [msb:lsb]");
            }
            throw Fail(field, at, "has no bit position (bitOffset/bitWidth, lsb/msb or bitRange)");
        }

        // Name and offset of each element of a dim array, or the single element.
        private IEnumerable<(string Name, ulong Offset)> Dim(XElement element, string at, string name)
        {
            if (element.Element("dim") is null)
            {
                if (name.Contains("%s", StringComparison.Ordinal))
                {
                    throw Fail(element, at, $"name '{name}' has %s but no <dim>");
                }
                yield return (name, 0);
                yield break;
            }
            int count = (int)Number(element, at, "dim");
            ulong increment = Number(element, at, "dimIncrement");
            var indices = Indices(element, at, count);
            for (int i = 0; i < count; i++)
            {
                string n = name.Contains("[%s]", StringComparison.Ordinal) ? name.Replace("[%s]", $"[{indices[i]}]", StringComparison.Ordinal)
                    : name.Contains("%s", StringComparison.Ordinal) ? name.Replace("%s", indices[i], StringComparison.Ordinal)
                    : throw Fail(element, at, $"dim array '{name}' has no %s in its name");
                yield return (n, (ulong)i * increment);
            }
        }

        private List<string> Indices(XElement element, string at, int count)
        {
            string? text = (string?)element.Element("dimIndex");
            List<string> indices;
            if (text is null)
            {
                indices = Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            }
            else if (text.Contains('-', StringComparison.Ordinal) && !text.Contains(',', StringComparison.Ordinal))
            {
                var ends = text.Split('-');
                if (ends.Length != 2 || !int.TryParse(ends[0], CultureInfo.InvariantCulture, out int first) || !int.TryParse(ends[1], CultureInfo.InvariantCulture, out int last))
                {
                    // Letter ranges such as A-D.
                    if (ends.Length == 2 && ends[0].Length == 1 && ends[1].Length == 1 && ends[1][0] >= ends[0][0])
                    {
                        indices = Enumerable.Range(ends[0][0], ends[1][0] - ends[0][0] + 1).Select(c => ((char)c).ToString()).ToList();
                        return indices.Count == count ? indices : throw Fail(element, at, $"dimIndex '{text}' gives {indices.Count} indices for dim {count}");
                    }
                    throw Fail(element.Element("dimIndex")!, at, $"dimIndex '{text}' is not a list or a range");
                }
                indices = Enumerable.Range(first, last - first + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            }
            else
            {
                indices = text.Split(',').Select(s => s.Trim()).ToList();
            }
            return indices.Count == count ? indices : throw Fail(element, at, $"dimIndex '{text}' gives {indices.Count} indices for dim {count}");
        }

        private Defaults Properties(XElement element, string at, Defaults inherited) => new(
            element.Element("size") is null ? inherited.SizeBits : (int)Number(element, at, "size"),
            element.Element("access") is { } a ? Access(a, at) : inherited.Access,
            element.Element("resetValue") is null ? inherited.ResetValue : Number(element, at, "resetValue"),
            element.Element("resetMask") is null ? inherited.ResetMask : Number(element, at, "resetMask"));

        private FieldAccess Access(XElement element, string at) => element.Value.Trim() switch
        {
            "read-only" => FieldAccess.ReadOnly,
            "write-only" => FieldAccess.WriteOnly,
            "read-write" => FieldAccess.ReadWrite,
            "writeOnce" => FieldAccess.WriteOnce,
            "read-writeOnce" => FieldAccess.ReadWriteOnce,
            var other => throw Fail(element, at, $"access '{other}' is not read-only, write-only, read-write, writeOnce or read-writeOnce"),
        };

        private WriteAction? WriteActionOf(XElement element, string at) => element.Element("modifiedWriteValues") is not { } w ? null : w.Value.Trim() switch
        {
            "oneToClear" => Mmio.WriteAction.OneToClear,
            "oneToSet" => Mmio.WriteAction.OneToSet,
            "oneToToggle" => Mmio.WriteAction.OneToToggle,
            "zeroToClear" => Mmio.WriteAction.ZeroToClear,
            "zeroToSet" => Mmio.WriteAction.ZeroToSet,
            "zeroToToggle" => Mmio.WriteAction.ZeroToToggle,
            "clear" => Mmio.WriteAction.Clear,
            "set" => Mmio.WriteAction.Set,
            "modify" => Mmio.WriteAction.Modify,
            var other => throw Fail(w, at, $"modifiedWriteValues '{other}' is not one of oneToClear, oneToSet, oneToToggle, zeroToClear, zeroToSet, zeroToToggle, clear, set, modify"),
        };

        // "modify" and "modifyExternal" mean side effects a plain register cannot know; they read as plain.
        private ReadAction? ReadActionOf(XElement element, string at) => element.Element("readAction") is not { } r ? null : r.Value.Trim() switch
        {
            "clear" => Mmio.ReadAction.Clear,
            "set" => Mmio.ReadAction.Set,
            "modify" or "modifyExternal" => Mmio.ReadAction.None,
            var other => throw Fail(r, at, $"readAction '{other}' is not clear, set, modify or modifyExternal"),
        };

        private Dictionary<ulong, string> Enumerated(XElement field, string at)
        {
            var values = new Dictionary<ulong, string>();
            foreach (var value in field.Elements("enumeratedValues").Elements("enumeratedValue"))
            {
                string? name = (string?)value.Element("name");
                string? text = (string?)value.Element("value");
                // isDefault entries and don't-care patterns ("#1x0") name no single value.
                if (name is null || text is null || text.Contains('x', StringComparison.OrdinalIgnoreCase) && text.StartsWith('#'))
                {
                    continue;
                }
                values[Number(value, at, "value")] = name;
            }
            return values;
        }

        private ulong Extent(XElement peripheral, string at, List<RegisterDefinition> registers)
        {
            ulong end = registers.Select(r => r.Offset + (ulong)r.SizeBytes).DefaultIfEmpty(0UL).Max();
            foreach (var block in peripheral.Elements("addressBlock"))
            {
                end = Math.Max(end, Number(block, at, "offset") + Number(block, at, "size"));
            }
            return end > 0 ? end : throw Fail(peripheral, at, "has neither registers nor an addressBlock");
        }

        // The deriving element wins for every child it has; the base supplies the rest.
        private XElement Derive(XElement element, string at, XElement? baseElement)
        {
            if (baseElement is null)
            {
                return element;
            }
            if (ReferenceEquals(baseElement, element))
            {
                throw Fail(element, at, "is derived from itself");
            }
            var merged = new XElement(baseElement);
            merged.Attribute("derivedFrom")?.Remove();
            foreach (var child in element.Elements())
            {
                merged.Elements(child.Name).Remove();
                merged.Add(new XElement(child));
            }
            // Keep line numbers pointing at the deriving element.
            return new LineTagged(merged, element);
        }

        private string Required(XElement element, string at, string child) =>
            ((string?)element.Element(child))?.Trim() is { Length: > 0 } value ? value : throw Fail(element, at, $"has no <{child}>");

        private ulong Number(XElement element, string at, string child)
        {
            var node = element.Element(child) ?? throw Fail(element, at, $"has no <{child}>");
            return ParseNumber(node.Value) ?? throw Fail(node, $"{at}/{child}", $"'{node.Value.Trim()}' is not a number");
        }

        private static ulong? ParseNumber(string text)
        {
            string t = text.Trim().TrimStart('+');
            ulong scale = 1;
            if (t.Length > 1 && "kKmMgGtT".Contains(t[^1], StringComparison.Ordinal) && !t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                scale = char.ToLowerInvariant(t[^1]) switch { 'k' => 1UL << 10, 'm' => 1UL << 20, 'g' => 1UL << 30, _ => 1UL << 40 };
                t = t[..^1];
            }
            ulong value;
            bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
                : t.StartsWith('#') ? TryBinary(t[1..], out value)
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            return ok ? value * scale : null;
        }

        private static bool TryBinary(string digits, out ulong value)
        {
            value = 0;
            if (digits.Length is 0 or > 64)
            {
                return false;
            }
            foreach (char c in digits)
            {
                if (c is not ('0' or '1'))
                {
                    return false;
                }
                value = (value << 1) | (c == '1' ? 1UL : 0UL);
            }
            return true;
        }

        private static string Clean(string? text) => text is null ? "" : string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

        private SvdFormatException Fail(XObject where, string at, string message)
        {
            var origin = where is LineTagged tagged ? tagged.Origin : where;
            int line = origin is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;
            return new SvdFormatException(file, line, at, message);
        }
    }

    // A merged (derived) element that remembers the element it came from, for line numbers.
    private sealed class LineTagged : XElement
    {
        public LineTagged(XElement content, XElement origin)
            : base(content)
        {
            Origin = origin;
        }

        public XElement Origin { get; }
    }
}
