using System.Text.Encodings.Web;
using System.Text.Json;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The one convention for everything S3Fanout writes as JSON for scripts and monitors (<c>--json</c> of every
/// subcommand, the mirror service's health file): snake_case names, indented, and no HTML escaping.
/// </summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Output for terminals, scripts and files, never for HTML: checksums keep their '+' and '/'.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
