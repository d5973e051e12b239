using System.Text.Encodings.Web;
using System.Text.Json;

namespace MemGate.Cli;

/// <summary>
/// How the CLI writes JSON. Commands that report once write one document (indented); those that report more than once
/// (run, validate, ps receive, failures) write JSON Lines. Text is escaped only where JSON requires it: quotes,
/// apostrophes and '&lt;' in messages stay as they are (the default encoder writes \u0027 and friends, which is valid but
/// hard to read and to grep).
/// </summary>
internal static class CliJson
{
    /// <summary>A copy of a source-generated context's options with the relaxed encoder.</summary>
    public static JsonSerializerOptions Readable(JsonSerializerOptions generated) =>
        new(generated) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, TypeInfoResolver = null };
}
