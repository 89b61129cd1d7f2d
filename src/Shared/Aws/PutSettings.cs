namespace S3Fanout.Shared.Aws;

/// <summary>How every object of a broadcast is PUT (<see cref="PlainPut"/>): its server-side encryption and payload signing.</summary>
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
}
