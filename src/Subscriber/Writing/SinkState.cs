using System.Text.Json;
using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// The durable position of a file sink: which broadcast (and which run of it, by its start time) and how far it got.
/// Written atomically (temp file + rename) after every segment, so a crash leaves either the old or the new state.
/// </summary>
internal sealed record SinkState
{
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("uploadBegan")] public DateTimeOffset? UploadBegan { get; init; }
    [JsonPropertyName("segments")] public long Segments { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("status")] public string Status { get; init; } = "mirroring";
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("updatedAt")] public DateTimeOffset UpdatedAt { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static SinkState? TryLoad(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SinkState>(File.ReadAllText(path), Options) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(string path)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, this, Options);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
