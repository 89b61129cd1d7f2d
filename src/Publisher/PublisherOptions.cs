using Amazon.S3;
using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Publisher;

internal enum NotifyMode
{
    Sns,
    Sqs,
    None,
}

/// <summary>Everything the publisher was asked to do, validated before any AWS call.</summary>
internal sealed record PublisherOptions
{
    public required BroadcastLocation Location { get; init; }
    public long SegmentSizeMiB { get; init; } = 8;
    public int Workers { get; init; } = 4;
    public int Tries { get; init; } = 5;
    public int ReadBufferBytes { get; init; } = 1024 * 1024;
    public string? StagingPath { get; init; }
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan ManifestInterval { get; init; } = TimeSpan.FromSeconds(1);
    public NotifyMode Notify { get; init; } = NotifyMode.Sns;
    public string? Topic { get; init; }
    public bool Force { get; init; }
    public ServerSideEncryptionMethod? Sse { get; init; }
    /// <summary>True over HTTPS: segments are sent with UNSIGNED-PAYLOAD (S3 allows it only over TLS).</summary>
    public bool UnsignedPayload { get; init; }
    public string? SseKmsKeyId { get; init; }
    /// <summary>The limit of one attempt of a call without a streamed body (a manifest write, a listing).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A segment upload that moves no byte and gets no answer for this long is abandoned and tried again.</summary>
    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public long SegmentSizeBytes => SegmentSizeMiB * 1024 * 1024;

    /// <summary>True when S3's ETag is the body's MD5, so it can be checked after each PUT.</summary>
    public bool EtagIsMd5 => Sse != ServerSideEncryptionMethod.AWSKMS && Sse != ServerSideEncryptionMethod.AWSKMSDSSE;

    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new UsageException(message);
            }
        }
        Check(SegmentSizeMiB is >= 1 and <= 5 * 1024, $"-m must be 1-5120 MiB (S3 stores at most 5 GiB in one PUT), got {SegmentSizeMiB}");
        Check(Workers is >= 1 and <= 64, $"-n must be 1-64, got {Workers}");
        Check(Tries is >= 1 and <= 100, $"-t must be 1-100, got {Tries}");
        Check(FlushInterval >= TimeSpan.FromMilliseconds(10) && FlushInterval <= TimeSpan.FromHours(1), $"--flush-interval must be 10ms-1h, got {FlushInterval}");
        Check(HeartbeatInterval >= TimeSpan.FromMilliseconds(100) && HeartbeatInterval <= TimeSpan.FromMinutes(10), $"--heartbeat-interval must be 100ms-10m, got {HeartbeatInterval}");
        Check(SegmentSizeBytes <= 2L * 1024 * 1024 * 1024 || StagingPath is not null || Workers <= 8,
            "segments over 2 GiB with more than 8 workers need -p DIR (staging on disk) to bound memory");
        Check(SseKmsKeyId is null || Sse == ServerSideEncryptionMethod.AWSKMS, "--sse-kms-key-id needs --sse aws:kms");
        Check(Notify != NotifyMode.None || Topic is null, "--topic makes no sense with --notify none");
    }
}
