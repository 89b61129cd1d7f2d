namespace S3Fanout.Shared.Aws;

/// <summary>How to reach AWS (or an S3/SQS/SNS compatible endpoint).</summary>
internal sealed record AwsSettings
{
    /// <summary>--endpoint-url or AWS_ENDPOINT_URL; null for real AWS.</summary>
    public Uri? EndpointUrl { get; init; }
    /// <summary>-r; null to use the SDK's region chain.</summary>
    public string? Region { get; init; }
    /// <summary>-a and -s, kept for s3pipe2 compatibility (with a warning).</summary>
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    /// <summary>-t: attempts per S3/SNS/SQS step.</summary>
    public int Tries { get; init; } = 5;
    /// <summary>Connections to keep open to the endpoint (at least the worker count).</summary>
    public int MaxConnections { get; init; } = 16;
    /// <summary>--request-timeout: the limit of one attempt of a call without a streamed body.</summary>
    public TimeSpan RequestTimeout { get; init; } = StepRetry.DefaultAttemptTimeout;
}
