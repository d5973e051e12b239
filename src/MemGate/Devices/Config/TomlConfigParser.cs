using System.Globalization;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace MemGate.Devices.Config;

/// <summary>Reads TOML with Tomlyn's syntax tree, which keeps every key's line and column.</summary>
internal static class TomlConfigParser
{
    public static ConfigNode Parse(string text, string file)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, file, true);
        }
        catch (Tomlyn.TomlException e)
        {
            // Tomlyn throws instead of reporting for some inputs (nesting deeper than 64).
            var location = new SourceLocation(file, e.Line ?? 1, e.Column ?? 1);
            throw new DeviceDescriptionException($"{file}: invalid TOML",
                [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", e.Message) { Location = location }]);
        }
        if (document.HasErrors)
        {
            // One mistake (an unterminated string) makes the parser report an error on every later line;
            // the first in the file is the real one, so it alone is reported, with how many followed.
            var all = document.Diagnostics.Where(d => d.Kind == Tomlyn.Syntax.DiagnosticMessageKind.Error)
                .OrderBy(d => d.Span.Start.Offset).ToList();
            var first = all.Count > 0 ? all[0] : document.Diagnostics[0];
            string more = all.Count > 1 ? $" ({all.Count - 1} more syntax error(s) after it, probably caused by this one)" : "";
            throw new DeviceDescriptionException($"{file}: invalid TOML",
                [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", first.Message + more) { Location = At(file, first.Span.Start) }]);
        }
        var root = ConfigNode.Map(new SourceLocation(file, 1, 1));
        foreach (var kv in document.KeyValues)
        {
            AddKeyValue(root, kv, file);
        }
        foreach (var table in document.Tables)
        {
            var path = KeyParts(table.Name!);
            var location = At(file, table.Span.Start);
            ConfigNode target;
            if (table is TableArraySyntax)
            {
                var parent = Descend(root, path[..^1], location);
                var list = parent.Get(path[^1]);
                if (list is null)
                {
                    list = ConfigNode.List(location);
                    parent.Entries.Add(new(path[^1], list));
                }
                target = ConfigNode.Map(location);
                list.Items.Add(target);
            }
            else
            {
                target = Descend(root, path, location);
            }
            foreach (var kv in table.Items)
            {
                AddKeyValue(target, kv, file);
            }
        }
        return root;
    }

    private static void AddKeyValue(ConfigNode map, KeyValueSyntax kv, string file)
    {
        var path = KeyParts(kv.Key!);
        var location = At(file, kv.Span.Start);
        var parent = Descend(map, path[..^1], location);
        parent.Entries.Add(new(path[^1], Convert(kv.Value!, file)));
    }

    // Tables named by dotted keys nest; the last table of an array of tables is the one extended.
    private static ConfigNode Descend(ConfigNode map, string[] path, SourceLocation location)
    {
        foreach (string part in path)
        {
            var next = map.Get(part);
            if (next is null)
            {
                next = ConfigNode.Map(location);
                map.Entries.Add(new(part, next));
            }
            map = next.Kind == ConfigNodeKind.List && next.Items.Count > 0 ? next.Items[^1] : next;
        }
        return map;
    }

    private static ConfigNode Convert(ValueSyntax value, string file)
    {
        var location = At(file, value.Span.Start);
        switch (value)
        {
            case StringValueSyntax s:
                return ConfigNode.Scalar(s.Value ?? "", isString: true, location);
            case IntegerValueSyntax i:
                return ConfigNode.Scalar(i.Value.ToString(CultureInfo.InvariantCulture), isString: false, location);
            case BooleanValueSyntax b:
                return ConfigNode.Scalar(b.Value ? "true" : "false", isString: false, location);
            case FloatValueSyntax f:
                return ConfigNode.Scalar(f.Value.ToString(CultureInfo.InvariantCulture), isString: false, location);
            case ArraySyntax a:
                var list = ConfigNode.List(location);
                foreach (var item in a.Items)
                {
                    list.Items.Add(Convert(item.Value!, file));
                }
                return list;
            case InlineTableSyntax t:
                var map = ConfigNode.Map(location);
                foreach (var item in t.Items)
                {
                    AddKeyValue(map, item.KeyValue!, file);
                }
                return map;
            default:
                return ConfigNode.Scalar(value.ToString()?.Trim() ?? "", isString: false, location);
        }
    }

    private static string[] KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key!) };
        foreach (var dot in key.DotKeys)
        {
            parts.Add(KeyText(dot.Key!));
        }
        return [.. parts];
    }

    private static string KeyText(BareKeyOrStringValueSyntax key) => key switch
    {
        StringValueSyntax s => s.Value ?? "",
        _ => key.ToString()?.Trim() ?? "",
    };

    private static SourceLocation At(string file, TextPosition position) => new(file, position.Line + 1, position.Column + 1);
}
