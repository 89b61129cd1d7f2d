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
    private static readonly TimeSpan SkewThreshold = TimeSpan.FromMinutes(4);
    private long _correctionTicks;

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

    /// <summary>Added to the signing clock once SNS said this machine's clock is off (see <see cref="TryCorrectClockSkew"/>).</summary>
    public TimeSpan ClockCorrection => TimeSpan.FromTicks(Interlocked.Read(ref _correctionTicks));

    /// <summary>
    /// Learns SNS's time from the Date header of an answer that refused the signature's time, as the AWS SDK does for its
    /// own clients (https://aws.amazon.com/blogs/developer/clock-skew-correction/: on a clock skew error the SDK computes
    /// the offset from the server's time and retries with the corrected time). The SDK keeps its correction per endpoint
    /// in <c>CorrectClockSkew</c> (https://docs.aws.amazon.com/sdkfornet/v4/apidocs/items/Runtime/TCorrectClockSkew.html),
    /// whose setter is internal to AWSSDK.Core, so this signer keeps its own on top of the SDK's clock.
    /// </summary>
    /// <returns>True when the correction changed, so a request signed again may now pass.</returns>
    public bool TryCorrectClockSkew(Uri endpoint, DateTimeOffset serverTime)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var candidate = serverTime.UtcDateTime - _utcNow(endpoint);
        // The SDK's threshold (ClockSkewCalculator.SkewDetectionThreshold, 4 minutes): smaller differences are network
        // latency and the Date header's one-second resolution, and SigV4 accepts up to 5 minutes anyway.
        if ((candidate - ClockCorrection).Duration() < SkewThreshold)
        {
            return false;
        }
        Interlocked.Exchange(ref _correctionTicks, candidate.Ticks);
        return true;
    }

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

        var result = _signer.SignRequest(request, _config, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey, _utcNow(endpoint) + ClockCorrection);
        request.Headers["Authorization"] = result.ForAuthorizationHeader;
        return new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase);
    }
}
