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
