using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MemGate.Devices.Config;

/// <summary>Reads YAML with YamlDotNet's representation model (no reflection), keeping line and column.</summary>
internal static class YamlConfigParser
{
    public static ConfigNode Parse(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var location = new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column);
            throw new DeviceDescriptionException($"{file}: invalid YAML",
                [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", e.InnerException?.Message ?? e.Message) { Location = location }]);
        }
        if (stream.Documents.Count == 0)
        {
            return ConfigNode.Map(new SourceLocation(file, 1, 1));
        }
        return Convert(stream.Documents[0].RootNode, file);
    }

    private static ConfigNode Convert(YamlNode node, string file)
    {
        var location = new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode mapping:
                var map = ConfigNode.Map(location);
                foreach (var (key, value) in mapping.Children)
                {
                    map.Entries.Add(new(((YamlScalarNode)key).Value ?? "", Convert(value, file)));
                }
                return map;
            case YamlSequenceNode sequence:
                var list = ConfigNode.List(location);
                foreach (var item in sequence.Children)
                {
                    list.Items.Add(Convert(item, file));
                }
                return list;
            case YamlScalarNode scalar:
                bool quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
                return ConfigNode.Scalar(scalar.Value ?? "", quoted, location);
            default:
                throw new DeviceDescriptionException($"{file}: unsupported YAML",
                    [new DeviceDiagnostic(DiagnosticSeverity.Error, "(syntax)", "aliases and tags are not supported") { Location = location }]);
        }
    }
}
