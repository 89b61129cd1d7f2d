using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace S3Fanout.Shared.Aws;

/// <summary>Turns AWS and network failures into one-line <see cref="FatalException"/>s with the documented exit codes.</summary>
internal static class AwsErrors
{
    private static readonly HashSet<string> AccessCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "AuthorizationError", "InvalidAccessKeyId", "SignatureDoesNotMatch",
        "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException", "InvalidToken",
        "AllAccessDisabled", "AccountProblem", "InvalidSecurity",
    };

    public static FatalException ToFatal(Exception e, string what)
    {
        if (e is FatalException fatal)
        {
            return fatal;
        }
        var code = ErrorCode(e);
        if (code is "NoSuchBucket")
        {
            return new FatalException(ExitCodes.NotFound, $"{what}: the bucket does not exist", e);
        }
        if ((code is not null && AccessCodes.Contains(code)) || StatusCode(e) == HttpStatusCode.Forbidden)
        {
            return new FatalException(ExitCodes.Access, $"{what}: access denied ({code ?? "403"}): {Describe(e)}", e);
        }
        if (IsUnreachable(e))
        {
            return new FatalException(ExitCodes.Unreachable, $"{what}: cannot reach the endpoint: {Describe(e)}", e);
        }
        return new FatalException(ExitCodes.Transfer, $"{what}: {Describe(e)}", e);
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
        _ => e.InnerException is null ? null : StatusCode(e.InnerException),
    };

    public static bool IsNotFound(Exception e) =>
        ErrorCode(e) is "NoSuchKey" or "NotFound" || StatusCode(e) == HttpStatusCode.NotFound;

    public static bool IsUnreachable(Exception e)
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
