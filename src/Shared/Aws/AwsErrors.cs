using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Polly.Timeout;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one failure classifier: every exception from S3, SQS, SNS, the network or S3Fanout itself maps to whether trying
/// again can help, the exit code it ends the run with, and one line for the user (no stack trace, no credentials).
/// Retry policies, stages and the command-line host all ask here instead of keeping lists of their own.
/// </summary>
/// <remarks>
/// Error codes are S3's (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: InternalError and SlowDown
/// are to be retried, per https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html; BadDigest means a
/// body that did not match its Content-MD5 or its x-amz-checksum-* header), SQS's and SNS's common errors (Throttling/Throttled, ServiceUnavailable,
/// InternalFailure, AuthorizationError), and STS's credential errors. A code counts before its HTTP status, because SNS
/// answers throttling with 400 as well as 429.
/// </remarks>
internal static class AwsErrors
{
    private static readonly HashSet<string> AccessCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "AuthorizationError", "InvalidAccessKeyId", "SignatureDoesNotMatch",
        "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException", "InvalidToken",
        "AllAccessDisabled", "AccountProblem", "InvalidSecurity", "KMS.AccessDeniedException",
    };

    private static readonly HashSet<string> ThrottleCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "Throttled", "ThrottledException", "TooManyRequestsException",
        "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "KMSThrottling", "KMS.ThrottlingException",
        "ProvisionedThroughputExceededException",
    };

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException",
        "IncompleteBody", "NetworkError",
        // A conditional write that met a concurrent one: "On a 409 failure you should retry the upload"
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, If-None-Match).
        "ConditionalRequestConflict",
    };

    private static readonly HashSet<string> CorruptCodes = new(StringComparer.Ordinal) { "BadDigest", "XAmzContentSHA256Mismatch" };

    public static Failure Classify(Exception e)
    {
        switch (e)
        {
            case FatalException f:
                return new Failure(FailureKind.Reported, f.Retryable, f.ExitCode, f.Message);
            case TimeoutRejectedException or TimeoutException or OperationCanceledException { InnerException: TimeoutException }:
                return Retry(FailureKind.TimedOut, ExitCodes.Transfer, $"no answer in time ({Describe(e)})");
            case OperationCanceledException:
                return new Failure(FailureKind.Cancelled, false, ExitCodes.Interrupted, "cancelled");
        }
        var code = ErrorCode(e);
        var status = StatusCode(e);
        if (code is "NoSuchBucket")
        {
            return Stop(FailureKind.MissingBucket, ExitCodes.NotFound, "the bucket does not exist");
        }
        if ((code is not null && AccessCodes.Contains(code)) || status == HttpStatusCode.Forbidden)
        {
            return Stop(FailureKind.AccessDenied, ExitCodes.Access, $"access denied ({code ?? "403"}): {Describe(e)}");
        }
        if (code is "NoSuchKey" or "NotFound" || status == HttpStatusCode.NotFound)
        {
            return Stop(FailureKind.NotFound, ExitCodes.NotFound, $"not found: {Describe(e)}");
        }
        if (code is "PreconditionFailed" || status == HttpStatusCode.PreconditionFailed)
        {
            return Stop(FailureKind.PreconditionFailed, ExitCodes.NotFound, $"another writer got there first ({code ?? "412"}): {Describe(e)}");
        }
        if (code is "NotImplemented" || status == HttpStatusCode.NotImplemented)
        {
            return Stop(FailureKind.Unsupported, ExitCodes.Transfer, $"the endpoint does not implement this request ({code ?? "501"}): {Describe(e)}");
        }
        if (code is "MalformedResponse")
        {
            // A success answer without the expected result: the same request gets the same answer.
            return Stop(FailureKind.Rejected, ExitCodes.Transfer, Describe(e));
        }
        if (code is not null && CorruptCodes.Contains(code))
        {
            return Retry(FailureKind.Corrupt, ExitCodes.Integrity, $"the data was damaged on the way ({code}): {Describe(e)}");
        }
        if ((code is not null && ThrottleCodes.Contains(code)) || status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            return Retry(FailureKind.Throttled, ExitCodes.Transfer, $"throttled ({code ?? ((int)status!).ToString(System.Globalization.CultureInfo.InvariantCulture)}): {Describe(e)}");
        }
        if (code is "Timeout" || status == HttpStatusCode.RequestTimeout)
        {
            return Retry(FailureKind.TimedOut, ExitCodes.Transfer, $"no answer in time ({Describe(e)})");
        }
        if (IsUnreachable(e))
        {
            return Retry(FailureKind.Unreachable, ExitCodes.Unreachable, $"cannot reach the endpoint: {Describe(e)}");
        }
        if ((code is not null && TransientCodes.Contains(code)) || status is null or >= HttpStatusCode.InternalServerError or < HttpStatusCode.BadRequest)
        {
            // No status at all (the answer never came whole) or a 2xx/3xx the SDK could not read counts as transient too.
            return e switch
            {
                AmazonServiceException or Sns.SnsException => Retry(FailureKind.Transient, ExitCodes.Transfer, Describe(e)),
                AmazonClientException when IsChecksumMismatch(e) =>
                    Retry(FailureKind.Corrupt, ExitCodes.Integrity, $"the body does not match its checksum: {Describe(e)}"),
                AmazonClientException or IOException => Retry(FailureKind.Transient, ExitCodes.Transfer, Describe(e)),
                // The SDK checks a whole-object GET's body against its ETag, reading the ETag as hex first
                // (AWSSDKUtils.HexStringToBytes, parameter "hex"); an empty or odd-length ETag throws before the body is
                // read. s3rver answered "" for a manifest it was replacing at that moment: an answer that does not hold
                // together, tried again like one whose body fails that check.
                ArgumentOutOfRangeException { ParamName: "hex" } =>
                    Retry(FailureKind.Transient, ExitCodes.Transfer, "the answer's ETag is no hex digest, so its body could not be checked"),
                // An answer cut short or garbled on the way fails in the SDK's XML or JSON reader.
                System.Xml.XmlException or System.Text.Json.JsonException =>
                    Retry(FailureKind.Transient, ExitCodes.Transfer, $"the answer could not be read: {Describe(e)}"),
                _ => Stop(FailureKind.Internal, ExitCodes.Internal, $"internal error: {e.GetType().Name}: {Describe(e)}"),
            };
        }
        return Stop(FailureKind.Rejected, ExitCodes.Transfer, $"refused ({code ?? ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture)}): {Describe(e)}");
    }

    /// <summary>
    /// A failed GET or HEAD of an object, classified as by <see cref="Classify"/> except that a 403 AccessDenied (a HEAD's
    /// bare 403 included) is <see cref="FailureKind.MissingOrDenied"/>: S3 answers a missing key with 403 instead of 404
    /// when the principal may not list the bucket. The caller decides which it is from what it knows, and nowhere else.
    /// </summary>
    /// <remarks>
    /// GetObject: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied
    /// error" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); HeadObject answers 403 Forbidden, without
    /// a body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). Credential errors (an unknown key, a
    /// bad signature, an expired token) keep their own codes and stay <see cref="FailureKind.AccessDenied"/>.
    /// </remarks>
    public static Failure ClassifyRead(Exception e)
    {
        var failure = Classify(e);
        return failure.Kind == FailureKind.AccessDenied && ErrorCode(e) is null or "AccessDenied" or "Forbidden"
            ? failure with
            {
                Kind = FailureKind.MissingOrDenied,
                Line = failure.Line + "; S3 answers 403 both for a key this principal may not read and for a missing key when it lacks s3:ListBucket on the bucket",
            }
            : failure;
    }

    /// <summary>Whether the same step may succeed if tried again.</summary>
    public static bool IsRetryable(Exception e) => Classify(e).Retryable;

    /// <summary>The failure as a <see cref="FatalException"/>: "<paramref name="what"/>: line", with its exit code.</summary>
    public static FatalException ToFatal(Exception e, string what)
    {
        if (e is FatalException fatal)
        {
            return fatal;
        }
        var failure = Classify(e);
        return new FatalException(failure.ExitCode, what.Length == 0 ? failure.Line : $"{what}: {failure.Line}", e);
    }

    public static string? ErrorCode(Exception e) => e switch
    {
        AmazonServiceException s when !string.IsNullOrEmpty(s.ErrorCode) => s.ErrorCode,
        Sns.SnsException s => s.Code,
        _ => e.InnerException is null ? null : ErrorCode(e.InnerException),
    };

    public static HttpStatusCode? StatusCode(Exception e) => e switch
    {
        AmazonServiceException s when s.StatusCode != 0 => s.StatusCode,
        Sns.SnsException s when s.StatusCode != 0 => (HttpStatusCode)s.StatusCode,
        _ => e.InnerException is null ? null : StatusCode(e.InnerException),
    };

    public static bool IsNotFound(Exception e) => Classify(e).Kind == FailureKind.NotFound;

    private static bool IsUnreachable(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException or SocketException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The SDK's own end-of-body check of a response (its ETag MD5 or a flexible checksum) failed.</summary>
    private static bool IsChecksumMismatch(Exception e) =>
        e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("checksum", StringComparison.OrdinalIgnoreCase);

    private static Failure Retry(FailureKind kind, int exitCode, string line) => new(kind, true, exitCode, line);

    private static Failure Stop(FailureKind kind, int exitCode, string line) => new(kind, false, exitCode, line);

    /// <summary>A message without stack traces, request ids or anything from the credentials.</summary>
    public static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && (inner is AmazonClientException || string.IsNullOrWhiteSpace(inner.Message)))
        {
            inner = inner.InnerException;
        }
        var message = AwsConnection.OneLine(inner.Message);
        return message.Length > 300 ? message[..300] + "…" : message;
    }
}
