using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// Signs SNS Query API requests with AWSSDK.Core's SigV4 implementation, so no signing crypto lives here.
/// The signing time is a seam: AWS4Signer.Sign reads the clock itself, while SignRequest accepts a time,
/// which lets tests pin the signature to known-good values.
/// </summary>
internal sealed class SnsRequestSigner
{
    public const string ContentType = "application/x-www-form-urlencoded; charset=utf-8";
    public const string SecurityTokenHeader = "X-Amz-Security-Token";

    private readonly AWS4Signer _signer = new();
    private readonly SnsSigningConfig _config;
    private readonly Func<Uri, DateTime> _utcNow;

    /// <param name="utcNow">
    /// The signing clock for an endpoint; null uses the SDK's clock, which honours AWSConfigs.ManualClockCorrection.
    /// </param>
    public SnsRequestSigner(string region, Func<Uri, DateTime>? utcNow = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(region);
        Region = region;
        _config = new SnsSigningConfig(region);
        _utcNow = utcNow ?? (endpoint => CorrectClockSkew.GetCorrectedUtcNowForEndpoint(endpoint.ToString()));
    }

    public string Region { get; }

    /// <summary>
    /// Signs a form POST of <paramref name="body"/> to <paramref name="endpoint"/> and returns every header
    /// that was signed (Host, Content-Type, X-Amz-*) plus Authorization; all must be sent unchanged.
    /// </summary>
    public IReadOnlyDictionary<string, string> Sign(Uri endpoint, byte[] body, ImmutableCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(credentials);

        var request = new DefaultRequest(new SnsSignableRequest(), "SNS")
        {
            HttpMethod = "POST",
            Endpoint = endpoint,
            AuthenticationRegion = Region,
            OverrideSigningServiceName = "sns",
            Content = body,
        };
        request.Headers["Content-Type"] = ContentType;
        if (credentials.UseToken)
        {
            // Signed like any other header, as the SDK's own clients do.
            request.Headers[SecurityTokenHeader] = credentials.Token;
        }

        var result = _signer.SignRequest(request, _config, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey, _utcNow(endpoint));
        request.Headers["Authorization"] = result.ForAuthorizationHeader;
        return new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase);
    }
}
