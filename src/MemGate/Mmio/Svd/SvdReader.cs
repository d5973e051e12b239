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
    /// <summary>Deepest element nesting accepted; real SVDs stay near 12 (device/peripherals/…/enumeratedValue/value).</summary>
    public const int MaxDepth = 64;

    /// <summary>Largest <c>dim</c> of one array, checked before expanding it.</summary>
    public const int MaxDim = 4096;

    /// <summary>Most registers, clusters and fields one file may expand to (dim arrays included); far above any vendor's SVD.</summary>
    public const int MaxElements = 500_000;

    /// <summary>Reads an SVD file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="strict">Flaws other tools tolerate (overlapping fields) are errors instead of <see cref="SvdDevice.Warnings"/>.</param>
    public static SvdDevice Load(string path, bool strict = false)
    {
        // Lenient: vendor SVDs carry Latin-1 bytes in descriptions, which only ever reach descriptions.
        return Parse(InputFile.ReadAllText(path, "SVD file", strictUtf8: false), path, strict);
    }

    /// <summary>Reads SVD text; <paramref name="file"/> names it in errors.</summary>
    /// <param name="text">The XML.</param>
    /// <param name="file">Names the text in errors and warnings.</param>
    /// <param name="strict">Flaws other tools tolerate (overlapping fields) are errors instead of <see cref="SvdDevice.Warnings"/>.</param>
    public static SvdDevice Parse(string text, string file = "<svd>", bool strict = false)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new SvdFormatException(file, 0, "xml", "the file is empty; an SVD file is XML with a <device> root element");
        }
        XDocument document;
        try
        {
            CheckDepth(text, file);
            document = XDocument.Parse(text, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            // The parser's own words for a DTD advise changing its settings, which a user cannot do.
            int doctype = text.IndexOf("<!DOCTYPE", StringComparison.Ordinal);
            if (doctype >= 0 && e.Message.Contains("DTD", StringComparison.Ordinal))
            {
                throw new SvdFormatException(file, text.AsSpan(0, doctype).Count('\n') + 1, "xml",
                    "the file has a document type declaration (<!DOCTYPE …>); SVD files need none, and MemGate does not read DTDs (their entities can expand without bound): remove it", e);
            }
            throw new SvdFormatException(file, e.LineNumber, "xml", e.Message, e);
        }
        return new Reader(file, strict).Device(document.Root!);
    }

    // Nesting is checked on a streaming pass first: building a tree 100,000 elements deep is what hangs.
    private static void CheckDepth(string text, string file)
    {
        using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        while (reader.Read())
        {
            if (reader.Depth > MaxDepth)
            {
                var info = (IXmlLineInfo)reader;
                throw new SvdFormatException(file, info.LineNumber, reader.Name, $"elements nested deeper than {MaxDepth} levels");
            }
        }
    }

    // Register properties inherited downwards.
    private readonly record struct Defaults(int SizeBits, FieldAccess Access, ulong ResetValue, ulong ResetMask);

    private sealed class Reader(string file, bool strict)
    {
        private long _elements;

        // Problems of registers and clusters found so far: the reader reads on past a broken one, as past a broken peripheral.
        private readonly List<SvdFormatException> _broken = [];
        private const int MaxProblems = 100;

        // Per peripheral: the first primary (non-alternate) register at each offset, for alternateGroup members.
        private readonly Dictionary<ulong, string> _primaries = [];

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
            var seen = new Dictionary<string, XElement>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in elements)
            {
                // Names are unique in an SVD: derivedFrom finds peripherals by name, and devices' rules find them ignoring
                // case, so a second one (in any case) would silently win.
                string name = Required(p, "peripheral", "name");
                if (seen.TryGetValue(name, out var first))
                {
                    throw Fail(p, $"peripheral[{name}]", $"a peripheral named '{(string?)first.Element("name")}' is defined already, at line {LineOf(first)}; names must be unique (case is not told apart)");
                }
                seen[name] = p;
                byName[name] = p;
            }
            var peripherals = new List<SvdPeripheral>();
            var problems = new List<SvdFormatException>();
            foreach (var raw in elements)
            {
                try
                {
                    Peripheral(raw, byName, defaults, peripherals);
                }
                catch (SvdFormatException e)
                {
                    // Every peripheral is read, so one run reports every broken one, not just the first.
                    problems.AddRange(e.Problems);
                }
            }
            problems.AddRange(_broken);
            if (problems.Count > 0)
            {
                throw SvdFormatException.Of([.. problems.OrderBy(p => p.Line)]);   // in file order, the first locating the exception
            }
            return new SvdDevice(Required(device, "device", "name"), peripherals) { File = file, Warnings = _warnings };
        }

        private void Peripheral(XElement raw, Dictionary<string, XElement> byName, Defaults defaults, List<SvdPeripheral> peripherals)
        {
            {
                string path = $"peripheral[{Required(raw, "peripheral", "name")}]";
                string? derivedFrom = (string?)raw.Attribute("derivedFrom");
                var element = Resolve(raw, path, "peripheral", byName.GetValueOrDefault);
                int copies = element.Element("dim") is null ? 1 : Small(element, path, "dim", MaxDim);
                foreach (var (name, offset) in Dim(element, path, Required(element, path, "name"), 1))
                {
                    string at = $"peripheral[{name}]";
                    ulong baseAddress = Plus(Number(element, at, "baseAddress"), offset, element, at);
                    var local = Properties(element, at, defaults);
                    var registers = new List<RegisterDefinition>();
                    _primaries.Clear();
                    int broken = _broken.Count;
                    Collect(element.Element("registers"), at, 0, local, registers, "", copies);
                    if (_broken.Count > broken)
                    {
                        return;   // registers are missing: what the rest would say about the peripheral follows from that; Device reports them
                    }
                    // Rules find registers by name ignoring case, and act on each register of that name.
                    foreach (var twice in registers.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
                    {
                        Flaw(element, at, $"register name '{twice.Key}' is given {twice.Count()} times (at offsets {string.Join(", ", twice.Select(r => $"0x{r.Offset:X}"))}); " +
                            "a rule naming it acts on each");
                    }
                    ulong size = Extent(element, at, registers);
                    peripherals.Add(new SvdPeripheral(name, baseAddress, size, registers)
                    {
                        Description = Clean((string?)element.Element("description")),
                        GroupName = (string?)element.Element("groupName") ?? "",
                        DerivedFrom = derivedFrom,
                        Interrupts = Interrupts(raw, at),
                        Line = LineOf(raw),
                    });
                }
            }
        }

        // Registers and clusters of a <registers> or <cluster>, with offsets from the peripheral base.
        private void Collect(XElement? container, string path, ulong baseOffset, Defaults defaults, List<RegisterDefinition> into, string prefix, long copies)
        {
            if (container is null)
            {
                return;
            }
            var siblings = container.Elements().Where(e => e.Name.LocalName is "register" or "cluster")
                .GroupBy(e => (string?)e.Element("name") ?? "").ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            // Look ahead: this container's own arrays may already pass the limit; fail before building any of them.
            long planned = _elements;
            foreach (var e in siblings.Values)
            {
                planned += e.Element("dim") is null ? 1 : Small(e, path, "dim", MaxDim);
            }
            if (planned > MaxElements)
            {
                throw Fail(container, path, $"the file expands to more than {MaxElements:N0} registers, clusters and fields");
            }
            foreach (var raw in container.Elements())
            {
                string kind = raw.Name.LocalName;
                if (kind is not ("register" or "cluster"))
                {
                    continue;
                }
                try
                {
                    Element(raw, kind);
                }
                catch (SvdFormatException e) when (_broken.Count < MaxProblems)
                {
                    _broken.AddRange(e.Problems);   // the next register or cluster is read all the same; Device reports them all
                }
            }

            void Element(XElement raw, string kind)
            {
                string rawName = Required(raw, $"{path}/{kind}", "name");
                string at = $"{path}/{kind}[{rawName}]";
                var element = Resolve(raw, at, $"{kind} here", name => siblings.GetValueOrDefault(name) ?? siblings.GetValueOrDefault(name.Split('.')[^1]));
                var local = Properties(element, at, defaults);
                int count = element.Element("dim") is null ? 1 : Small(element, at, "dim", MaxDim);
                foreach (var (name, offset) in Dim(element, at, Required(element, at, "name"), copies))
                {
                    ulong address = Plus(Plus(baseOffset, Number(element, at, "addressOffset"), element, at), offset, element, at);
                    if (kind == "cluster")
                    {
                        Collect(element, $"{path}/cluster[{name}]", address, local, into, $"{prefix}{name}.", copies * count);
                    }
                    else
                    {
                        into.Add(Register(element, $"{path}/register[{name}]", prefix + name, address, local, prefix, copies * count));
                    }
                }
            }
        }

        private RegisterDefinition Register(XElement element, string at, string name, ulong offset, Defaults defaults, string prefix, long copies)
        {
            if (defaults.SizeBits is not (8 or 16 or 32 or 64))
            {
                if (strict || defaults.SizeBits is < 1 or > 64)
                {
                    throw Fail(element, at, $"register size {defaults.SizeBits} bits is not 8, 16, 32 or 64");
                }
                // Vendor files give 1-bit (or other odd) sizes; the access is the next whole width.
                int width = defaults.SizeBits <= 8 ? 8 : defaults.SizeBits <= 16 ? 16 : defaults.SizeBits <= 32 ? 32 : 64;
                Tolerated(element, at, $"register size {defaults.SizeBits} bits is taken as {width}", 0);
                defaults = defaults with { SizeBits = width };
            }
            var fields = new List<RegisterField>();
            var fieldsElement = element.Element("fields");
            if (fieldsElement is not null)
            {
                var siblings = fieldsElement.Elements("field").GroupBy(f => (string?)f.Element("name") ?? "").ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                foreach (var raw in fieldsElement.Elements("field"))
                {
                    string fieldAt = $"{at}/field[{Required(raw, $"{at}/field", "name")}]";
                    var field = Resolve(raw, fieldAt, "field here", name => siblings.GetValueOrDefault(name.Split('.')[^1]));
                    var (bitOffset, bitWidth) = Bits(field, fieldAt);
                    foreach (var (fieldName, step) in Dim(field, fieldAt, Required(field, fieldAt, "name"), copies))
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
            // Vendor files repeat RESERVED for unused bits: no rule names those.
            foreach (var twice in fields.Where(f => !f.Name.StartsWith("RESERVED", StringComparison.OrdinalIgnoreCase))
                .GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                // Rules find fields by name, ignoring case, and act on each field of that name.
                Flaw(element, at, $"field name '{twice.Key}' is given {twice.Count()} times (at bits {string.Join(", ", twice.Select(f => f.BitOffset))}); " +
                    "a rule naming it acts on each");
            }
            for (int i = 0; i < fields.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if ((fields[i].Mask & fields[j].Mask) == 0)
                    {
                        continue;
                    }
                    if (strict)
                    {
                        throw Fail(element, at, $"fields '{fields[j].Name}' and '{fields[i].Name}' overlap");
                    }
                    // Vendor files ship this (Espressif, ST, SiFive, NXP) and other tools take them: keep the first.
                    Tolerated(element, at, $"fields '{fields[j].Name}' and '{fields[i].Name}' overlap; '{fields[i].Name}' is left out", 0);
                    fields.RemoveAt(i--);
                    break;
                }
            }
            // SVD marks alternates either way: alternateRegister names the primary; alternateGroup shares an offset.
            string? alternate = (string?)element.Element("alternateRegister") is { } primary ? prefix + primary : null;
            // A lookup, not a scan of the registers so far: a scan is quadratic in a 100,000-register dim array.
            if (alternate is null && element.Element("alternateGroup") is not null)
            {
                alternate = _primaries.GetValueOrDefault(offset);
            }
            if (alternate is null)
            {
                _primaries.TryAdd(offset, name);
            }
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
                return (Small(field, at, "bitOffset", 63), field.Element("bitWidth") is null ? 1 : Small(field, at, "bitWidth", 64));
            }
            if (field.Element("lsb") is not null || field.Element("msb") is not null)
            {
                int lsb = Small(field, at, "lsb", 63);
                int msb = Small(field, at, "msb", 63);
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
        // copies: how many times the enclosing arrays (peripheral, cluster, register dims) repeat this element.
        private IEnumerable<(string Name, ulong Offset)> Dim(XElement element, string at, string name, long copies)
        {
            if (element.Element("dim") is null)
            {
                if (name.Contains("%s", StringComparison.Ordinal))
                {
                    throw Fail(element, at, $"name '{name}' has %s but no <dim>");
                }
                Expand(element, at, 1);
                yield return (name, 0);
                yield break;
            }
            int count = Small(element, at, "dim", MaxDim);
            // Nested arrays multiply: refuse before expanding rather than after building what the limit allows.
            if (copies * count > MaxElements)
            {
                throw Fail(element.Element("dim")!, at, $"dim {count} inside arrays repeated {copies} times expands to more than {MaxElements:N0} elements");
            }
            Expand(element, at, count);
            if (count == 0)
            {
                throw Fail(element.Element("dim")!, at, "dim 0 makes an empty array");
            }
            ulong increment = Number(element, at, "dimIncrement");
            if (count > 1 && increment > ulong.MaxValue / (ulong)(count - 1))
            {
                throw Fail(element, at, $"dim {count} × dimIncrement 0x{increment:X} overflows 64 bits");
            }
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
                // Checked before building: "0-99999999" would otherwise make 100 million strings.
                if (first < 0 || last < first || (long)last - first + 1 != count)
                {
                    throw Fail(element.Element("dimIndex")!, at, $"dimIndex '{text}' does not give {count} indices for dim {count}");
                }
                indices = Enumerable.Range(first, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            }
            else
            {
                indices = text.Split(',').Select(s => s.Trim()).ToList();
            }
            return indices.Count == count ? indices : throw Fail(element, at, $"dimIndex '{text}' gives {indices.Count} indices for dim {count}");
        }

        private Defaults Properties(XElement element, string at, Defaults inherited) => new(
            element.Element("size") is null ? inherited.SizeBits : Small(element, at, "size", 64),
            element.Element("access") is { } a ? Access(a, at) : inherited.Access,
            element.Element("resetValue") is null ? inherited.ResetValue : Number(element, at, "resetValue"),
            element.Element("resetMask") is null ? inherited.ResetMask : Number(element, at, "resetMask"));

        // Case-insensitive: vendor files write "read-writeonce" (the schema's spelling is read-writeOnce).
        private FieldAccess Access(XElement element, string at) => element.Value.Trim().ToLowerInvariant() switch
        {
            "read-only" => FieldAccess.ReadOnly,
            "write-only" => FieldAccess.WriteOnly,
            "read-write" => FieldAccess.ReadWrite,
            "writeonce" => FieldAccess.WriteOnce,
            "read-writeonce" => FieldAccess.ReadWriteOnce,
            "write" when !strict => Tolerated(element, at, "access 'write' is read as write-only", FieldAccess.WriteOnly),
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
                if (name is null || text is null || IsDontCarePattern(text))
                {
                    continue;
                }
                values[Number(value, at, "value")] = name;
            }
            return values;
        }

        // "#1x0" and "0b1x0" (x: either bit) match several values: they name no single one.
        private static bool IsDontCarePattern(string text)
        {
            string t = text.Trim();
            string digits = t.StartsWith('#') ? t[1..] : t.StartsWith("0b", StringComparison.OrdinalIgnoreCase) ? t[2..] : "";
            return digits.Contains('x', StringComparison.OrdinalIgnoreCase);
        }

        // A peripheral's own interrupts, from its element as written: derivedFrom does not copy them (USART2, derived from
        // USART1, raises its own line, not USART1's), as svdconv reads it.
        private List<SvdInterrupt> Interrupts(XElement peripheral, string at)
        {
            var interrupts = new List<SvdInterrupt>();
            // Only listed (nothing runs from them): a malformed one is left out with a warning, as other tools read them.
            foreach (var element in peripheral.Elements("interrupt"))
            {
                string? name = ((string?)element.Element("name"))?.Trim();
                string? text = ((string?)element.Element("value"))?.Trim();
                ulong? value = text is null ? null : ParseNumber(text);
                if (string.IsNullOrEmpty(name) || value is not { } number || number > int.MaxValue)
                {
                    Flaw(element, $"{at}/interrupt{(string.IsNullOrEmpty(name) ? "" : $"[{name}]")}",
                        string.IsNullOrEmpty(name) ? "has no <name>; it is left out" : $"<value> '{text}' is not an interrupt number; it is left out");
                    continue;
                }
                interrupts.Add(new SvdInterrupt(name, (int)number, Clean((string?)element.Element("description"))));
            }
            return interrupts;
        }

        // The peripheral's size: to the end of its address blocks, or of its registers where one reaches past them.
        private ulong Extent(XElement peripheral, string at, List<RegisterDefinition> registers)
        {
            ulong registersEnd = 0, blocksEnd = 0;
            RegisterDefinition? last = null;
            foreach (var r in registers)
            {
                ulong end = Plus(r.Offset, (ulong)r.SizeBytes, peripheral, $"{at}/register[{r.Name}]");
                if (end > registersEnd)
                {
                    (registersEnd, last) = (end, r);
                }
            }
            var blocks = peripheral.Elements("addressBlock").ToList();
            foreach (var block in blocks)
            {
                blocksEnd = Math.Max(blocksEnd, Plus(Number(block, at, "offset"), Number(block, at, "size"), block, $"{at}/addressBlock"));
            }
            if (blocks.Count > 0 && registersEnd > blocksEnd)
            {
                Flaw(blocks[0], at, $"register '{last!.Name}' (offset 0x{last.Offset:X}, {last.SizeBytes} bytes) reaches past the address block, which ends at offset 0x{blocksEnd:X}; " +
                    "the block is taken to reach it");
            }
            ulong size = Math.Max(registersEnd, blocksEnd);
            return size > 0 ? size : throw Fail(peripheral, at, "has neither registers nor an addressBlock");
        }

        // derivedFrom chains (C from B from A) are merged from the far end, so C also gets what B inherited from A.
        private XElement Resolve(XElement raw, string at, string kind, Func<string, XElement?> find)
        {
            var chain = new List<XElement> { raw };
            for (var e = raw; (string?)e.Attribute("derivedFrom") is { } name;)
            {
                e = find(name) ?? throw Fail(e, at, $"derivedFrom '{name}' names no {kind}");
                if (chain.Contains(e))
                {
                    throw Fail(raw, at, chain.Count == 1 ? "is derived from itself" : $"is derived from itself through derivedFrom '{name}'");
                }
                chain.Add(e);
            }
            var merged = chain[^1];
            for (int i = chain.Count - 2; i >= 0; i--)
            {
                merged = Derive(chain[i], at, merged);
            }
            return merged;
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

        // Bit positions, widths, sizes and dims: checked in the full 64 bits before narrowing (4294967296 is not 0).
        private int Small(XElement element, string at, string child, int max)
        {
            ulong value = Number(element, at, child);
            return value <= (ulong)max ? (int)value : throw Fail(element.Element(child)!, $"{at}/{child}", $"{value} is above {max}");
        }

        private ulong Plus(ulong a, ulong b, XElement where, string at) =>
            a <= ulong.MaxValue - b ? a + b : throw Fail(where, at, $"address 0x{a:X} + 0x{b:X} overflows 64 bits");

        // Counts what dim arrays expand to across the file, before each expansion.
        private void Expand(XElement where, string at, int count)
        {
            _elements += count;
            if (_elements > MaxElements)
            {
                throw Fail(where, at, $"the file expands to more than {MaxElements:N0} registers, clusters and fields");
            }
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
                : t.StartsWith("0b", StringComparison.OrdinalIgnoreCase) ? TryBinary(t[2..], out value)   // the schema's scaledNonNegativeInteger allows 0b too
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            return ok && value <= ulong.MaxValue / scale ? value * scale : null;
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

        private readonly List<SvdWarning> _warnings = [];

        // A flaw other tools take: an error when reading strictly, else a warning.
        private void Flaw(XObject where, string at, string what)
        {
            if (strict)
            {
                throw Fail(where, at, what);
            }
            Tolerated(where, at, what, 0);
        }

        private T Tolerated<T>(XObject where, string at, string what, T value)
        {
            _warnings.Add(new SvdWarning(file, LineOf(where), at, $"{what} (an error with --strict)"));
            return value;
        }

        private SvdFormatException Fail(XObject where, string at, string message)
        {
            return new SvdFormatException(file, LineOf(where), at, message);
        }

        // Copies made by derivedFrom have no line numbers: use the nearest enclosing element that does, or the deriving element.
        private static int LineOf(XObject? where)
        {
            for (var o = where; o is not null; o = o.Parent)
            {
                if (o is LineTagged tagged)
                {
                    return LineOf(tagged.Origin);
                }
                if (o is IXmlLineInfo info && info.HasLineInfo())
                {
                    return info.LineNumber;
                }
            }
            return 0;
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
