namespace S3Fanout.Shared.Aws;

/// <summary>How every object of a broadcast is PUT (<see cref="PlainPut"/>): its server-side encryption, payload signing and wire checksum.</summary>
internal sealed record PutSettings
{
    /// <summary>No encryption asked for, payload signed: what a PUT without options does.</summary>
    public static readonly PutSettings Default = new();

    /// <summary>The same on every object: a bucket policy may require one KMS key on all of them.</summary>
    public SseSettings? Sse { get; init; }

    /// <summary>True over HTTPS: the body is sent with UNSIGNED-PAYLOAD (S3 allows it only over TLS).</summary>
    public bool UnsignedPayload { get; init; }

    /// <summary>Whether preconditions are sent (one state per run, shared by every PUT); null: never.</summary>
    public ConditionalWrites? Conditions { get; init; }

    /// <summary>Whether PUTs carry CRC-64/NVME or Content-MD5 (one state per run, shared by every PUT); null: always Content-MD5.</summary>
    public WireChecksum? Checksum { get; init; }

    /// <summary>True when the next PUT carries Content-MD5, so its writer computes the MD5 with the CRC-64/NVME in one pass.</summary>
    public bool SendsMd5 => Checksum is not { SendsCrc: true };
}
