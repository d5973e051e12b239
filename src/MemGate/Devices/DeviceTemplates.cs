using System.Reflection;
using MemGate.Devices.Config;

namespace MemGate.Devices;

/// <summary>
/// The built-in device templates: TOML files embedded in the library (<c>src/MemGate/Devices/Templates</c>),
/// each naming in its description the datasheet section or emulator board its map follows.
/// </summary>
public static class DeviceTemplates
{
    private const string Prefix = "MemGate.Templates.";
    private static readonly Assembly Library = typeof(DeviceTemplates).Assembly;

    /// <summary>The template names, in a stable order.</summary>
    public static IReadOnlyList<string> Names { get; } = Library.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".toml", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^".toml".Length])
        .Order(StringComparer.OrdinalIgnoreCase)
        .ToArray();

    /// <summary>Whether <paramref name="name"/> (any case) is a template.</summary>
    public static bool Exists(string name) => Resolve(name) is not null;

    /// <summary>The template's TOML text.</summary>
    /// <exception cref="DeviceDescriptionException">No template has that name; the message lists them.</exception>
    public static string GetText(string name)
    {
        string actual = Resolve(name) ?? throw Unknown(name);
        using var stream = Library.GetManifestResourceStream(Prefix + actual + ".toml")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Loads and validates the template called <paramref name="name"/> (any case).</summary>
    /// <exception cref="DeviceDescriptionException">No template has that name; the message lists them.</exception>
    public static DeviceDescription Load(string name)
    {
        string actual = Resolve(name) ?? throw Unknown(name);
        return DeviceConfigReader.Parse(GetText(actual), DeviceConfigFormat.Toml, $"template:{actual}");
    }

    private static DeviceDescriptionException Unknown(string name) => new(name,
        [new DeviceDiagnostic(DiagnosticSeverity.Error, "device",
            $"No device template '{name}' (nor a device file of that name, where a command also takes one).{NameSuggestion.DidYouMean(name, Names)} Templates: {string.Join(", ", Names)}.")]);

    private static string? Resolve(string name) => Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
}
