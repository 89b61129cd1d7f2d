namespace S3Fanout.Shared.Aws.Sns;

internal sealed record SnsClientOptions
{
    /// <summary>An explicit endpoint such as an emulator's (http://127.0.0.1:4566); null means the AWS endpoint of <see cref="Region"/>.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>
    /// Signing region, and the endpoint's region when <see cref="ServiceUrl"/> is null. Callers resolve it
    /// from the SDK's default chain; with a service URL and no region, us-east-1 is used (emulators accept any).
    /// </summary>
    public string? Region { get; init; }

    /// <summary>Total tries per call, including the first.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Per-attempt limit, so a stalled connection is retried rather than hanging the call.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
