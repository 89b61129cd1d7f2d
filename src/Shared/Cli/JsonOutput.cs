using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The one convention for everything S3Fanout writes as JSON for scripts and monitors (<c>--json</c> of every
/// subcommand, the mirror service's health file): snake_case names, indented, and no HTML escaping. The types are
/// described by a source-generated context built on <see cref="CreateOptions"/> (no reflection: Native AOT).
/// </summary>
internal static class JsonOutput
{
    /// <summary>The convention's options, for a source-generated context: <c>new MyContext(JsonOutput.CreateOptions())</c>.</summary>
    public static JsonSerializerOptions CreateOptions() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Output for terminals, scripts and files, never for HTML: checksums keep their '+' and '/'.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);
}
