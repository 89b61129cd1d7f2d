using System.Text.Json;

namespace S3Fanout.Shared.Protocol;

internal static class NotificationCodec
{
    public const string BroadcastAttribute = "s3fanout.broadcast";
    public const string BucketAttribute = "s3fanout.bucket";
    public const string TypeAttribute = "s3fanout.type";
    public const int MaxBodyBytes = 16 * 1024;

    public static string Serialize(Notification n) => JsonSerializer.Serialize(n, NotificationJsonContext.Default.Notification);

    public static IReadOnlyDictionary<string, string> Attributes(Notification n) => new Dictionary<string, string>
    {
        [BroadcastAttribute] = n.Broadcast,
        [BucketAttribute] = n.Bucket,
        [TypeAttribute] = TypeName(n),
    };

    public static string TypeName(Notification n) => n switch
    {
        BroadcastBegan => "begin",
        SegmentReady => "segment",
        SegmentsReady => "segments",
        Heartbeat => "heartbeat",
        EndOfStream => "end",
        BroadcastAborted => "aborted",
        _ => throw new ArgumentException($"unknown notification {n.GetType().Name}", nameof(n)),
    };

    /// <summary>
    /// Parses and validates a message body. Returns false with a reason for anything that is not a well-formed
    /// S3Fanout notification; such messages come from outside the publisher's control and are logged, never trusted.
    /// </summary>
    public static bool TryParse(string body, out Notification notification, out string reason)
    {
        notification = null!;
        if (body.Length > MaxBodyBytes)
        {
            reason = $"message of {body.Length} characters is too long";
            return false;
        }
        Notification? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, NotificationJsonContext.Default.Notification);
        }
        catch (JsonException e)
        {
            reason = $"not an S3Fanout notification ({e.Message.Split('.')[0]})";
            return false;
        }
        catch (NotSupportedException e)
        {
            reason = $"not an S3Fanout notification ({e.Message.Split('.')[0]})";
            return false;
        }
        if (parsed is null || string.IsNullOrEmpty(parsed.Bucket) || string.IsNullOrEmpty(parsed.Broadcast))
        {
            reason = "notification names no bucket or broadcast";
            return false;
        }
        reason = parsed switch
        {
            { Version: not 1 } => $"notification version {parsed.Version} is not supported",
            SegmentReady s when s.Index is < 1 or > KeyLayout.MaxIndex => $"segment index {s.Index} is out of range",
            SegmentReady s when s.Offset < 0 || s.Size < 0 || s.Size > S3Limits.MaxObjectBytes => $"segment {s.Index} has an impossible offset or size",
            SegmentReady s when !SegmentChecksum.IsWellFormed(s.Checksum) => $"segment {s.Index} has a malformed checksum",
            SegmentReady s when s.Key != KeyLayout.SegmentKey(s.Broadcast, s.Index) => $"segment {s.Index} names key '{s.Key}' outside the layout",
            SegmentsReady m => SegmentsProblem(m),
            EndOfStream e when e.Segments is < 0 or > KeyLayout.MaxIndex || e.Bytes < 0 => "end-of-stream has impossible counts",
            EndOfStream e when e.Sha256 is not { Length: 64 } || !e.Sha256.All(Uri.IsHexDigit) => "end-of-stream has a malformed sha256",
            BroadcastAborted a when string.IsNullOrWhiteSpace(a.Reason) => "abort notification gives no reason",
            Heartbeat h when h.StoredSegments < 0 || h.StoredBytes < 0 => "heartbeat has impossible counts",
            _ => "",
        };
        if (reason.Length > 0)
        {
            return false;
        }
        notification = parsed;
        return true;
    }

    /// <summary>Each entry of a coalesced message is checked as a single segment notification is; "" when all are sound.</summary>
    private static string SegmentsProblem(SegmentsReady m)
    {
        if (m.Segments is not { Count: >= 1 and <= SegmentsReady.MaxSegments })
        {
            return $"segments notification names {m.Segments?.Count ?? 0} segments (1-{SegmentsReady.MaxSegments})";
        }
        foreach (var s in m.Segments)
        {
            var problem = s switch
            {
                null => "segments notification has an empty entry",
                { Index: < 1 or > KeyLayout.MaxIndex } => $"segment index {s.Index} is out of range",
                _ when s.Offset < 0 || s.Size < 0 || s.Size > S3Limits.MaxObjectBytes => $"segment {s.Index} has an impossible offset or size",
                _ when !SegmentChecksum.IsWellFormed(s.Checksum) => $"segment {s.Index} has a malformed checksum",
                _ => "",
            };
            if (problem.Length > 0)
            {
                return problem;
            }
        }
        return "";
    }
}
