using Amazon.S3;

namespace S3Fanout.Shared.Aws;

/// <summary>How every object of a broadcast is PUT (<see cref="PlainPut"/>): its server-side encryption, and what is checked.</summary>
internal sealed record PutSettings
{
    /// <summary>No encryption asked for, payload signed, ETag checked: what a PUT without options does.</summary>
    public static readonly PutSettings Default = new();

    public ServerSideEncryptionMethod? Sse { get; init; }

    public string? SseKmsKeyId { get; init; }

    /// <summary>True over HTTPS: the body is sent with UNSIGNED-PAYLOAD (S3 allows it only over TLS).</summary>
    public bool UnsignedPayload { get; init; }

    /// <summary>True when S3's ETag is the body's MD5, so it is checked after each PUT.</summary>
    public bool EtagIsMd5 { get; init; } = true;
}
