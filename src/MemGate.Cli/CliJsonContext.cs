using System.Text.Json.Serialization;

namespace MemGate.Cli;

/// <summary>One row of the guest → host translation table.</summary>
internal sealed record TranslationRow(string Name, ulong Start, ulong End, ulong Size, string Permissions, string Kind, ulong? Host);

/// <summary>The translation table of an allocated memory, for <c>--json</c>.</summary>
internal sealed record TranslationReport(int AddressWidth, string Layout, ulong ResidentBytes, List<TranslationRow> Regions);

/// <summary>Source-generated JSON (no reflection, so Native AOT works).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(TranslationReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
