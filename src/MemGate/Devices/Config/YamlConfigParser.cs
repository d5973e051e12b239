using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MemGate.Devices.Config;

/// <summary>
/// Reads YAML from YamlDotNet's event stream (no reflection, no representation model), keeping line
/// and column. Every YAML file MemGate reads (device files, Fuzzware and HALucinator configs) comes
/// through here, so the limits below hold for all of them.
/// </summary>
/// <remarks>
/// Hostile YAML is cheap to write and expensive to load: a self-referencing alias never ends, nested
/// aliases expand exponentially ("billion laughs") and deep nesting exhausts the stack. So an alias may
/// only name a node that is already complete (which rules out cycles), aliased nodes are shared rather
/// than copied, the size of the document with every alias expanded is counted and capped, and nesting is
/// capped; each limit fails with a located error, before the work is done.
/// </remarks>
internal static partial class YamlConfigParser
{
    /// <summary>Deepest nesting of mappings and lists accepted (JSON's default limit too).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes the document may have once every alias is expanded.</summary>
    public const long MaxExpandedNodes = 1_000_000;

    public static ConfigNode Parse(string text, string file) => new Builder(file, null, text).Build(new Parser(new StringReader(text)));

    /// <summary>
    /// As <see cref="Parse(string, string)"/>, but a key that appears twice in a mapping keeps its last value
    /// (as PyYAML does, which other tools' configs are written for) and is reported to <paramref name="duplicate"/>.
    /// </summary>
    public static ConfigNode Parse(string text, string file, Action<SourceLocation, string> duplicate) =>
        new Builder(file, duplicate, text).Build(new Parser(new StringReader(text)));

    // One open mapping or list; a mapping alternates between waiting for a key and for its value.
    private sealed class Frame(ConfigNode node, string? anchor)
    {
        public ConfigNode Node { get; } = node;

        public string? Anchor { get; } = anchor;

        public long Weight { get; set; } = 1;

        public string? Key { get; set; }

        // A mapping's keys so far: a repeated one is found without scanning its entries (100,000 symbols took minutes).
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Builder(string file, Action<SourceLocation, string>? duplicate, string text)
    {
        private readonly List<Frame> _open = [];
        private readonly Dictionary<string, (ConfigNode Node, long Weight)> _anchors = new(StringComparer.Ordinal);
        private ConfigNode? _root;
        private long _expanded;
        private Mark _last = Mark.Empty;

        public ConfigNode Build(IParser parser)
        {
            while (Next(parser) is { } e)
            {
                var at = Locate(e.Start);
                switch (e)
                {
                    case StreamEnd when _root is not null:
                        return _root;
                    case DocumentStart when _root is not null:
                        // PyYAML's safe_load refuses a stream of several documents too ("expected a single document"): one
                        // read and the rest silently dropped would lose whatever the later ones say.
                        throw Error(at, "a second YAML document starts here ('---'): a file holds one document");
                    case StreamStart or DocumentStart or DocumentEnd or StreamEnd or Comment:
                        break;
                    case MappingStart m:
                        Open(ConfigNode.Map(at), m.Anchor, at);
                        break;
                    case SequenceStart s:
                        Open(ConfigNode.List(at), s.Anchor, at);
                        break;
                    case MappingEnd or SequenceEnd:
                        var frame = _open[^1];
                        _open.RemoveAt(_open.Count - 1);
                        Remember(frame.Anchor, frame.Node, frame.Weight);
                        Add(frame.Node, frame.Weight, at);
                        break;
                    case Scalar scalar when _open.Count > 0 && _open[^1] is { Node.Kind: ConfigNodeKind.Map, Key: null } map:
                        if (scalar.Value == "<<" && scalar.Style == ScalarStyle.Plain)
                        {
                            // YAML 1.1's merge key (PyYAML reads it): taken as a key of its own it would leave the merged fields missing.
                            throw Error(at, "merge keys ('<<: *anchor') are not supported: write the fields out, or use the anchor as a whole value");
                        }
                        if (!map.Keys.Add(scalar.Value))
                        {
                            if (duplicate is null)
                            {
                                throw Error(at, $"key '{scalar.Value}' appears twice in this mapping");
                            }
                            duplicate(at, $"key '{scalar.Value}' appears twice in this mapping; the last value is used");
                            map.Node.Entries.RemoveAll(e => e.Key == scalar.Value);
                        }
                        map.Key = scalar.Value;
                        break;
                    case Scalar scalar:
                        bool isString = !scalar.Tag.IsEmpty ? scalar.Tag.Value is "tag:yaml.org,2002:str" or "!"   // !!str 42 is a string
                            : scalar.Style != ScalarStyle.Plain || !IsCoreSchemaValue(scalar.Value);
                        var node = ConfigNode.Scalar(scalar.Value, isString, at);
                        Remember(scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value, node, 1);
                        Add(node, 1, at);
                        break;
                    case AnchorAlias alias:
                        ExpectValue(at);
                        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw Error(at, $"alias *{alias.Value.Value} names no complete node before it (an anchor cannot contain its own alias)");
                        }
                        Add(target.Node, target.Weight, at);
                        break;
                }
            }
            return _root ?? ConfigNode.Map(new SourceLocation(file, 1, 1));
        }

        // YamlDotNet reports malformed text as YamlException, but some inputs trip its internal
        // checks instead (a flow mapping continued at column 0); both are the file's fault.
        private ParsingEvent? Next(IParser parser)
        {
            try
            {
                if (!parser.MoveNext())
                {
                    return null;
                }
            }
            catch (YamlException e)
            {
                // A tab where indentation is expected is reported at the start of the node it breaks (line 1 for a tab on
                // line 2): point at the tab itself.
                string message = e.InnerException?.Message ?? e.Message;
                bool tab = message.Contains("tab as indentation", StringComparison.Ordinal) || message.Contains("tab character that violate", StringComparison.Ordinal);
                throw Error(tab ? TabAfter(e.Start) : Locate(e.Start), message);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
            {
                throw Error(Locate(_last), $"malformed YAML after this point ({e.Message})");
            }
            _last = parser.Current!.End;
            return parser.Current;
        }

        private void Open(ConfigNode node, AnchorName anchor, SourceLocation at)
        {
            ExpectValue(at);
            if (_open.Count >= MaxDepth)
            {
                throw Error(at, $"nested deeper than {MaxDepth} levels");
            }
            _open.Add(new Frame(node, anchor.IsEmpty ? null : anchor.Value));
        }

        private void ExpectValue(SourceLocation at)
        {
            if (_open.Count > 0 && _open[^1] is { Node.Kind: ConfigNodeKind.Map, Key: null })
            {
                throw Error(at, "a mapping key must be a plain value, not a mapping, list or alias");
            }
        }

        private void Remember(string? anchor, ConfigNode node, long weight)
        {
            if (anchor is not null)
            {
                _anchors[anchor] = (node, weight);
            }
        }

        // Aliased nodes are shared, not copied; the weight counts what a full expansion would hold.
        private void Add(ConfigNode node, long weight, SourceLocation at)
        {
            _expanded += weight;
            if (_expanded > MaxExpandedNodes)
            {
                throw Error(at, $"more than {MaxExpandedNodes:N0} nodes once aliases are expanded");
            }
            if (_open.Count == 0)
            {
                _root ??= node;
                return;
            }
            var parent = _open[^1];
            parent.Weight += weight;
            if (parent.Node.Kind == ConfigNodeKind.Map)
            {
                parent.Node.Entries.Add(new(parent.Key!, node));
                parent.Key = null;
            }
            else
            {
                parent.Node.Items.Add(node);
            }
        }

        private SourceLocation Locate(Mark mark) => new(file, (int)Math.Min(mark.Line, int.MaxValue), (int)Math.Min(mark.Column, int.MaxValue));

        // The first tab in a line's indentation from the mark on (not one inside a value or comment).
        private SourceLocation TabAfter(Mark mark)
        {
            for (int tab = mark.Index >= 0 && mark.Index < text.Length ? text.IndexOf('\t', (int)mark.Index) : -1; tab >= 0; tab = text.IndexOf('\t', tab + 1))
            {
                int lineStart = tab == 0 ? 0 : text.LastIndexOf('\n', tab - 1) + 1;
                if (text.AsSpan(lineStart, tab - lineStart).Trim(" \t-").IsEmpty)
                {
                    return new SourceLocation(file, text.AsSpan(0, tab).Count('\n') + 1, tab - lineStart + 1);
                }
            }
            return Locate(mark);
        }

        private DeviceDescriptionException Error(SourceLocation at, string message) =>
            new($"{file}: invalid YAML", [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", message) { Location = at }]);
    }

    // A plain scalar the YAML 1.2 core schema reads as null, a boolean, an integer or a float (`42`, `true`, `0x10`, `1e3`);
    // every other plain scalar (`R1`, `fuzzed`, `64KiB`) is a string, as a quoted one is.
    private static bool IsCoreSchemaValue(string text) => CoreSchemaValue().IsMatch(text);

    [GeneratedRegex(@"^(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")]
    private static partial Regex CoreSchemaValue();
}
