namespace MemGate.Devices.Config;

/// <summary>
/// A format-neutral tree of a config file (maps, lists, scalars), each node with its place in the
/// file, so one binder serves TOML, YAML and JSON and every error can name line and column.
/// </summary>
internal sealed class ConfigNode
{
    private ConfigNode(ConfigNodeKind kind, SourceLocation location)
    {
        Kind = kind;
        Location = location;
    }

    public ConfigNodeKind Kind { get; }

    public SourceLocation Location { get; }

    /// <summary>Scalars: the text as written (numbers and booleans in their canonical spelling).</summary>
    public string Text { get; private init; } = "";

    /// <summary>Scalars: whether the format said it is a string (quoted) rather than a number or boolean.</summary>
    public bool IsString { get; private init; }

    /// <summary>Maps: entries in file order.</summary>
    public List<KeyValuePair<string, ConfigNode>> Entries { get; } = [];

    /// <summary>Lists: items in file order.</summary>
    public List<ConfigNode> Items { get; } = [];

    public static ConfigNode Map(SourceLocation location) => new(ConfigNodeKind.Map, location);

    public static ConfigNode List(SourceLocation location) => new(ConfigNodeKind.List, location);

    public static ConfigNode Scalar(string text, bool isString, SourceLocation location) =>
        new(ConfigNodeKind.Scalar, location) { Text = text, IsString = isString };

    public ConfigNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (k == key)
            {
                return v;
            }
        }
        return null;
    }

    /// <summary>
    /// The index of the first character no device file may hold (a control character other than tab and
    /// line breaks, an unpaired surrogate, U+FFFD), or null: what the readers refuse, so nothing that loads
    /// can be written into a file that does not.
    /// </summary>
    public static int? FindUnwritable(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c) || c == '\uFFFD' || char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return i;
            }
        }
        return null;
    }

    public string Describe() => Kind switch
    {
        ConfigNodeKind.Map => "a table",
        ConfigNodeKind.List => "a list",
        _ => IsString ? $"\"{Text}\"" : Text,
    };
}

internal enum ConfigNodeKind
{
    Map,
    List,
    Scalar,
}
