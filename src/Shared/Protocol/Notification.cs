using System.Text.Json.Serialization;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// A message from a publisher to its subscribers. Sent as the SNS/SQS message body (JSON), with the message attributes
/// <see cref="NotificationCodec.BroadcastAttribute"/>, <see cref="NotificationCodec.BucketAttribute"/> and
/// <see cref="NotificationCodec.TypeAttribute"/> so subscriptions can filter on them.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(BroadcastBegan), "begin")]
[JsonDerivedType(typeof(SegmentReady), "segment")]
[JsonDerivedType(typeof(SegmentsReady), "segments")]
[JsonDerivedType(typeof(Heartbeat), "heartbeat")]
[JsonDerivedType(typeof(EndOfStream), "end")]
[JsonDerivedType(typeof(BroadcastAborted), "aborted")]
internal abstract record Notification
{
    [JsonPropertyName("v")] public int Version { get; init; } = 1;
    [JsonPropertyName("bucket")] public required string Bucket { get; init; }
    [JsonPropertyName("broadcast")] public required string Broadcast { get; init; }
    [JsonPropertyName("sentAt")] public DateTimeOffset SentAt { get; init; }
}

/// <summary>A broadcast was opened; the fleet service uses it to discover new broadcasts.</summary>
internal sealed record BroadcastBegan : Notification
{
    [JsonPropertyName("segmentSize")] public long SegmentSize { get; init; }
}

/// <summary>Segment <see cref="Index"/> is stored and verified in S3.</summary>
internal sealed record SegmentReady : Notification
{
    [JsonPropertyName("index")] public long Index { get; init; }
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("offset")] public long Offset { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("crc64nvme")] public required string Checksum { get; init; }

    public SegmentInfo ToInfo() => new(Index, Offset, Size, Checksum);
}

/// <summary>
/// Several segments sealed within one notify window, in one message (see <c>NotificationCoalescer</c>): each entry is
/// what a <see cref="SegmentReady"/> would say, its key being <see cref="KeyLayout.SegmentKey"/> of the broadcast and index.
/// At most <see cref="MaxSegments"/> entries, so the body stays under <see cref="NotificationCodec.MaxBodyBytes"/>.
/// </summary>
internal sealed record SegmentsReady : Notification
{
    /// <summary>
    /// 80 entries of at most ~100 bytes each (index, offset and size of 19 digits at most, a 12-character checksum) are
    /// about 8 KiB; with the longest broadcast name JSON-escaped (900 characters, 6 bytes each as \uXXXX) the body stays
    /// under <see cref="NotificationCodec.MaxBodyBytes"/> (16 KiB), far under SNS's 256 KiB (262,144 bytes) per message
    /// (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, "Message").
    /// </summary>
    public const int MaxSegments = 80;

    [JsonPropertyName("segments")] public required IReadOnlyList<SegmentEntry> Segments { get; init; }

    public IEnumerable<SegmentInfo> ToInfos() => Segments.Select(s => new SegmentInfo(s.Index, s.Offset, s.Size, s.Checksum));
}

/// <summary>One segment of a <see cref="SegmentsReady"/>.</summary>
internal sealed record SegmentEntry
{
    [JsonPropertyName("index")] public long Index { get; init; }
    [JsonPropertyName("offset")] public long Offset { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("crc64nvme")] public required string Checksum { get; init; }

    public static SegmentEntry From(SegmentReady s) => new() { Index = s.Index, Offset = s.Offset, Size = s.Size, Checksum = s.Checksum };
}

/// <summary>The publisher is alive but has nothing new; <see cref="StoredSegments"/> is the contiguous count stored so far.</summary>
internal sealed record Heartbeat : Notification
{
    [JsonPropertyName("storedSegments")] public long StoredSegments { get; init; }
    [JsonPropertyName("storedBytes")] public long StoredBytes { get; init; }
}

/// <summary>The stream ended and every segment is stored; the manifest already says complete.</summary>
internal sealed record EndOfStream : Notification
{
    [JsonPropertyName("segments")] public long Segments { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
}

/// <summary>The publisher gave up; the manifest already says aborted.</summary>
internal sealed record BroadcastAborted : Notification
{
    [JsonPropertyName("reason")] public required string Reason { get; init; }
}
