using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// The fleet service's record of one broadcast, kept by <see cref="StateStore"/>: which run of it (by its start time)
/// was mirrored last, with what outcome. How far an unfinished mirror got is the sink's own checkpoint, not this.
/// </summary>
internal sealed record MirrorRecord
{
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("upload_began")] public DateTimeOffset? UploadBegan { get; init; }
    [JsonPropertyName("status")] public MirrorStatus Status { get; init; }
    [JsonPropertyName("segments")] public long Segments { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("updated_at")] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// True when the run that began at <paramref name="uploadBegan"/> is mirrored already. The manifest keeps its start
    /// time cut to the microsecond, so that is the precision compared.
    /// </summary>
    public bool IsDone(DateTimeOffset uploadBegan) =>
        Status == MirrorStatus.Done && UploadBegan is { } began && Microseconds(began) == Microseconds(uploadBegan);

    private static long Microseconds(DateTimeOffset t) => t.UtcTicks / TimeSpan.TicksPerMicrosecond;
}
