namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// A failed SNS call: either an SNS error response, or a network failure or timeout that outlasted the retries.
/// Whether it is worth retrying is <see cref="AwsErrors.Classify"/>'s decision, as for every other failure.
/// The message carries only the action, the error code and SNS's own text, never request headers or credentials.
/// </summary>
internal sealed class SnsException : Exception
{
    public SnsException()
        : this("SNS call failed.")
    {
    }

    public SnsException(string message)
        : this(message, null)
    {
    }

    public SnsException(string message, Exception? innerException)
        : this("Unknown", message, 0, null, innerException)
    {
    }

    public SnsException(string code, string message, int statusCode, string? requestId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        StatusCode = statusCode;
        RequestId = requestId;
    }

    /// <summary>SNS's error code (e.g. NotFound, AuthorizationError), or NetworkError / Timeout / MalformedResponse.</summary>
    public string Code { get; }

    /// <summary>HTTP status, or 0 when no response arrived.</summary>
    public int StatusCode { get; }

    /// <summary>SNS's request id, for support cases; null when SNS gave none.</summary>
    public string? RequestId { get; }
}
