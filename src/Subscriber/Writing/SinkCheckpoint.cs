using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// How far a resumable file got, in its own file beside it (<c>FILE.partial.state</c>): which broadcast, which run of
/// it (by its start time) and how many segments and bytes are durable. It exists only while the file is incomplete.
/// </summary>
internal sealed record SinkCheckpoint
{
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("upload_began")] public DateTimeOffset? UploadBegan { get; init; }
    [JsonPropertyName("segments")] public long Segments { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("updated_at")] public DateTimeOffset UpdatedAt { get; init; }

    public static SinkCheckpoint? TryLoad(string path) => StateFile.TryLoad(path, StateFileJsonContext.Default.SinkCheckpoint);

    public void Save(string path) => StateFile.Save(path, this, StateFileJsonContext.Default.SinkCheckpoint);
}
