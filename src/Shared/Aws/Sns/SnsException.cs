namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// A failed SNS call: either an SNS error response, or a network failure or timeout that outlasted the retries.
/// The message carries only the action, the error code and SNS's own text, never request headers or credentials.
/// </summary>
internal sealed class SnsException : Exception
{
    // SNS answers throttling with 400-range codes as well as with 429, so the status alone is not enough.
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "KMSThrottling",
    };

    public SnsException()
        : this("SNS call failed.")
    {
    }

    public SnsException(string message)
        : this(message, null)
    {
    }

    public SnsException(string message, Exception? innerException)
        : this("Unknown", message, 0, false, null, innerException)
    {
    }

    public SnsException(string code, string message, int statusCode, bool isTransient, string? requestId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        StatusCode = statusCode;
        IsTransient = isTransient;
        RequestId = requestId;
    }

    /// <summary>SNS's error code (e.g. NotFound, AuthorizationError), or NetworkError / Timeout / MalformedResponse.</summary>
    public string Code { get; }

    /// <summary>HTTP status, or 0 when no response arrived.</summary>
    public int StatusCode { get; }

    /// <summary>True when trying again later could succeed.</summary>
    public bool IsTransient { get; }

    /// <summary>SNS's request id, for support cases; null when SNS gave none.</summary>
    public string? RequestId { get; }

    internal static bool IsTransientError(int statusCode, string? code) =>
        statusCode >= 500 || statusCode == 429 || (code is not null && TransientCodes.Contains(code));
}
