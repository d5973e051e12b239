using System.Text;
using System.Text.Json;

namespace MemGate.Devices.Config;

/// <summary>
/// Reads JSON with <see cref="Utf8JsonReader"/>, turning each token's byte offset into line and
/// column (JsonDocument forgets positions).
/// </summary>
internal static class JsonConfigParser
{
    public static ConfigNode Parse(string text, string file)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var lineStarts = new List<int> { 0 };
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        try
        {
            if (!reader.Read())
            {
                return ConfigNode.Map(new SourceLocation(file, 1, 1));
            }
            var root = ReadValue(ref reader, file, lineStarts);
            if (reader.Read())
            {
                throw new JsonException("text after the end of the document", null, At(lineStarts, reader.TokenStartIndex).Line - 1, 0);
            }
            return root;
        }
        catch (InvalidOperationException e)
        {
            // GetString refuses some well-formed escapes (a lone surrogate such as "\ud800"): the file's fault all the same.
            var (line, column) = At(lineStarts, reader.TokenStartIndex);
            throw new DeviceDescriptionException($"{file}: invalid JSON",
                [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", e.Message) { Location = new SourceLocation(file, line, column) }]);
        }
        catch (JsonException e)
        {
            var location = new SourceLocation(file, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            throw new DeviceDescriptionException($"{file}: invalid JSON",
                [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", e.Message.Split(" LineNumber:")[0].Replace(" Change the reader options.", "", StringComparison.Ordinal)) { Location = location }]);
        }
    }

    private static ConfigNode ReadValue(ref Utf8JsonReader reader, string file, List<int> lineStarts)
    {
        var (line, column) = At(lineStarts, reader.TokenStartIndex);
        var location = new SourceLocation(file, line, column);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var map = ConfigNode.Map(location);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var (keyLine, keyColumn) = At(lineStarts, reader.TokenStartIndex);
                    string key = reader.GetString()!;
                    if (map.Entries.Exists(e => e.Key == key))
                    {
                        // As the TOML and YAML readers: a key given twice is an error, not a silent choice of one value.
                        throw new DeviceDescriptionException($"{file}: invalid JSON",
                            [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", $"key '{key}' appears twice in this object") { Location = new SourceLocation(file, keyLine, keyColumn) }]);
                    }
                    reader.Read();
                    map.Entries.Add(new(key, ReadValue(ref reader, file, lineStarts)));
                }
                return map;
            case JsonTokenType.StartArray:
                var list = ConfigNode.List(location);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Items.Add(ReadValue(ref reader, file, lineStarts));
                }
                return list;
            case JsonTokenType.String:
                return ConfigNode.Scalar(reader.GetString()!, isString: true, location);
            case JsonTokenType.True or JsonTokenType.False:
                return ConfigNode.Scalar(reader.GetBoolean() ? "true" : "false", isString: false, location);
            case JsonTokenType.Null:
                return ConfigNode.Scalar("null", isString: false, location);
            default:
                return ConfigNode.Scalar(Encoding.UTF8.GetString(reader.ValueSpan), isString: false, location);
        }
    }

    private static (int Line, int Column) At(List<int> lineStarts, long offset)
    {
        int index = lineStarts.BinarySearch((int)offset);
        int line = index >= 0 ? index : ~index - 1;
        return (line + 1, (int)offset - lineStarts[line] + 1);
    }
}
