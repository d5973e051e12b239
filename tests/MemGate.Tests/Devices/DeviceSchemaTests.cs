using System.Globalization;
using System.Text.Json.Nodes;
using Json.Schema;
using MemGate.Devices;
using MemGate.Devices.Config;

namespace MemGate.Tests.Devices;

/// <summary>schema/device.schema.json describes every file MemGate writes or ships, and rejects what the reader rejects.</summary>
public sealed class DeviceSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "Fixtures", "device.schema.json"));

    public static TheoryData<string> Templates => new(DeviceTemplates.Names);

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_template_file_as_written_validates(string name)
    {
        // The embedded TOML itself, not a re-serialisation of it.
        AssertValid(ToJson(TomlConfigParser.Parse(DeviceTemplates.GetText(name), name)));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void What_the_writer_produces_validates(string name)
    {
        foreach (var format in Enum.GetValues<DeviceConfigFormat>())
        {
            string text = DeviceConfigWriter.Write(DeviceTemplates.Load(name), format);
            var node = format switch
            {
                DeviceConfigFormat.Toml => TomlConfigParser.Parse(text, name),
                DeviceConfigFormat.Yaml => YamlConfigParser.Parse(text, name),
                _ => JsonConfigParser.Parse(text, name),
            };
            AssertValid(ToJson(node));
        }
    }

    [Fact]
    public void The_readme_and_seed_examples_validate()
    {
        string readme = File.ReadAllText(Path.Combine(Docs.ReadmeTests.RepositoryRoot, "README.md"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(readme, "```(toml|yaml|json)\\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.NotEmpty(blocks);
        foreach (System.Text.RegularExpressions.Match block in blocks)
        {
            string text = block.Groups[2].Value;
            var node = block.Groups[1].Value switch
            {
                "toml" => TomlConfigParser.Parse(text, "README"),
                "yaml" => YamlConfigParser.Parse(text, "README"),
                _ => JsonConfigParser.Parse(text, "README"),
            };
            AssertValid(ToJson(node));
        }
    }

    [Theory]
    [InlineData("type = \"ram\"\nspeed = 3")]     // unknown field
    [InlineData("type = \"dram\"")]               // unknown type
    [InlineData("type = \"ram\"\npermissions = \"rq\"")] // unknown letter
    [InlineData("type = \"ram\"\nsize = \"12XB\"")]   // unknown unit
    public void The_schema_rejects_what_the_reader_rejects(string lines)
    {
        string size = lines.Contains("size", StringComparison.Ordinal) ? "" : "size = \"4KB\"\n";
        string text = $"[device]\nname = \"D\"\n[[regions]]\nname = \"R\"\nguest_address = \"0x0\"\n{size}{lines}\n";
        Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml));
        Assert.False(Schema.Evaluate(Element(ToJson(TomlConfigParser.Parse(text, "bad.toml")))).IsValid);
    }

    [Fact]
    public void A_minimal_valid_file_passes_both()
    {
        const string text = "[device]\nname = \"D\"\n[[regions]]\nname = \"R\"\nguest_address = \"0x0\"\nsize = \"4KB\"\ntype = \"ram\"\n";
        DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml);
        AssertValid(ToJson(TomlConfigParser.Parse(text, "good.toml")));
    }

    private static System.Text.Json.JsonElement Element(JsonNode? node) => System.Text.Json.JsonDocument.Parse(node!.ToJsonString()).RootElement;

    private static void AssertValid(JsonNode? document)
    {
        var result = Schema.Evaluate(Element(document), new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? [];
        Assert.True(result.IsValid, string.Join("\n", errors));
    }

    // A config tree as JSON: unquoted scalars become numbers or booleans, as the formats meant them.
    internal static JsonNode? ToJson(ConfigNode node) => node.Kind switch
    {
        ConfigNodeKind.Map => new JsonObject(node.Entries.Select(e => new KeyValuePair<string, JsonNode?>(e.Key, ToJson(e.Value)))),
        ConfigNodeKind.List => new JsonArray(node.Items.Select(ToJson).ToArray()),
        _ when node.IsString => JsonValue.Create(node.Text),
        _ when node.Text is "true" or "false" => JsonValue.Create(node.Text == "true"),
        _ when long.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) => JsonValue.Create(n),
        _ => JsonValue.Create(node.Text),
    };
}
