using System.Text.Json.Serialization;

namespace MemGate.Snapshots.Files;

/// <summary>Source-generated JSON for snapshot file headers (Native AOT needs no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]   // a null where the format has none is an error naming the field, not a crash later
[JsonSerializable(typeof(SnapshotFileHeader))]
internal sealed partial class SnapshotFileJsonContext : JsonSerializerContext;
