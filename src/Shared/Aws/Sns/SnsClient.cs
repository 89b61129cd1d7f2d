using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// A small client for SNS's Query API (form POST, XML answers), signed with AWSSDK.Core's SigV4 signer.
/// It is hand-written because the AWSSDK.SimpleNotificationService package is not available from this
/// project's package registry; it covers only the actions the project uses.
/// </summary>
/// <remarks>
/// Each attempt fetches credentials afresh (so refreshing credentials such as instance roles keep working)
/// and is signed anew, since a signature carries its time. Failures are retried through the project's one
/// <see cref="StepRetry"/> pipeline (with <see cref="Backoff"/>'s delays) when <see cref="AwsErrors.Classify"/> says
/// they may pass; everything else fails at once. Thread-safe.
/// </remarks>
internal sealed partial class SnsClient : ISnsClient, IDisposable
{
    private readonly SnsClientOptions _options;
    private readonly AWSCredentials _credentials;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger<SnsClient> _logger;
    private readonly TimeProvider _time;
    private readonly SnsRequestSigner _signer;
    private readonly StepRetry _retry;

    /// <summary>The error codes AWSSDK.Core's RetryPolicy treats as clock skew (its clockSkewErrorCodes), for SNS's answers.</summary>
    private static readonly HashSet<string> ClockSkewCodes = new(StringComparer.Ordinal)
    {
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
    };

    /// <param name="httpClient">Borrowed, not disposed; null creates one that this client owns.</param>
    /// <param name="timeProvider">Clock for signing and backoff delays; null uses the SDK's (skew-corrected) clock and real delays.</param>
    public SnsClient(
        SnsClientOptions options,
        AWSCredentials credentials,
        HttpClient? httpClient = null,
        ILogger<SnsClient>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options.MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AttemptTimeout, TimeSpan.Zero, nameof(options.AttemptTimeout));

        _options = options;
        _credentials = credentials;
        Endpoint = ResolveEndpoint(options);
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Attempts have their own timeout; this one would also cut the retries short.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _logger = logger ?? NullLogger<SnsClient>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _retry = new StepRetry(options.MaxAttempts, _logger, Backoff.Base, Backoff.Cap, Timeout.InfiniteTimeSpan, _time);
        _signer = new SnsRequestSigner(
            SigningRegion(options),
            timeProvider is null ? null : _ => timeProvider.GetUtcNow().UtcDateTime);
    }

    public Uri Endpoint { get; }

    public async Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string>? tags, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var request = new SnsQueryRequest("CreateTopic")
            .Add("Name", name)
            .AddMap("Tags.member", tags, "Key", "Value");
        var result = SnsResponseParser.ParseResult(request.Action, await SendAsync(request, ct).ConfigureAwait(false));
        return SnsResponseParser.RequiredValue(request.Action, result, "TopicArn");
    }

    public async Task<string> SubscribeAsync(
        string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string> attributes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topicArn);
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(attributes);
        var request = new SnsQueryRequest("Subscribe")
            .Add("TopicArn", topicArn)
            .Add("Protocol", protocol)
            .Add("Endpoint", endpoint)
            .AddMap("Attributes.entry", attributes, "key", "value")
            // Without it SNS may answer "pending confirmation" instead of an ARN that can be unsubscribed.
            .Add("ReturnSubscriptionArn", "true");
        var result = SnsResponseParser.ParseResult(request.Action, await SendAsync(request, ct).ConfigureAwait(false));
        return SnsResponseParser.RequiredValue(request.Action, result, "SubscriptionArn");
    }

    public async Task UnsubscribeAsync(string subscriptionArn, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscriptionArn);
        var request = new SnsQueryRequest("Unsubscribe").Add("SubscriptionArn", subscriptionArn);
        await SendAsync(request, ct).ConfigureAwait(false);
    }

    public async Task<SnsSubscriptionPage> ListSubscriptionsByTopicAsync(string topicArn, string? nextToken, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topicArn);
        var request = new SnsQueryRequest("ListSubscriptionsByTopic").Add("TopicArn", topicArn);
        if (!string.IsNullOrEmpty(nextToken))
        {
            request.Add("NextToken", nextToken);
        }
        var result = SnsResponseParser.ParseResult(request.Action, await SendAsync(request, ct).ConfigureAwait(false));
        return SnsResponseParser.ParseSubscriptions(result);
    }

    public async Task<string> PublishAsync(
        string topicArn, string message, IReadOnlyDictionary<string, string> stringAttributes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topicArn);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(stringAttributes);
        var request = new SnsQueryRequest("Publish")
            .Add("TopicArn", topicArn)
            .Add("Message", message)
            .AddStringMessageAttributes(stringAttributes);
        var result = SnsResponseParser.ParseResult(request.Action, await SendAsync(request, ct).ConfigureAwait(false));
        return SnsResponseParser.RequiredValue(request.Action, result, "MessageId");
    }

    public async Task<IReadOnlyDictionary<string, string>> GetTopicAttributesAsync(string topicArn, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topicArn);
        var request = new SnsQueryRequest("GetTopicAttributes").Add("TopicArn", topicArn);
        var result = SnsResponseParser.ParseResult(request.Action, await SendAsync(request, ct).ConfigureAwait(false));
        return SnsResponseParser.ParseAttributes(result);
    }

    public async Task SetTopicAttributesAsync(string topicArn, string name, string value, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topicArn);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        var request = new SnsQueryRequest("SetTopicAttributes")
            .Add("TopicArn", topicArn)
            .Add("AttributeName", name)
            .Add("AttributeValue", value);
        await SendAsync(request, ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal static Uri ResolveEndpoint(SnsClientOptions options)
    {
        if (options.ServiceUrl is { } url)
        {
            if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"The SNS service URL must be an absolute http or https URL, not '{url}'.", nameof(options));
            }

            return url;
        }

        var region = options.Region;
        if (string.IsNullOrEmpty(region))
        {
            throw new ArgumentException("Either an SNS service URL or a region is required.", nameof(options));
        }

        // The region becomes part of a host name, so only region-shaped names are accepted.
        if (!RegionPattern().IsMatch(region))
        {
            throw new ArgumentException($"'{region}' is not an AWS region name.", nameof(options));
        }

        var domain = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://sns.{region}.{domain}/");
    }

    private static string SigningRegion(SnsClientOptions options) =>
        string.IsNullOrEmpty(options.Region) ? "us-east-1" : options.Region;

    /// <returns>The body of the successful response; actions without a result (Unsubscribe) ignore it.</returns>
    private async Task<string> SendAsync(SnsQueryRequest request, CancellationToken ct)
    {
        var body = request.ToBody();
        try
        {
            return await _retry.ExecuteAsync(async token => await SendOnceAsync(request.Action, body, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (SnsException failure) when (_options.MaxAttempts > 1 && AwsErrors.IsRetryable(failure))
        {
            _logger.LogInformation("SNS {Action} failed with {Code} (HTTP {StatusCode}); giving up after {Attempts} attempts", request.Action, failure.Code, failure.StatusCode, _options.MaxAttempts);
            throw new SnsException(
                failure.Code,
                string.Create(CultureInfo.InvariantCulture, $"{failure.Message} (gave up after {_options.MaxAttempts} attempts)"),
                failure.StatusCode,
                failure.RequestId,
                failure.InnerException ?? failure);
        }
    }

    /// <summary>One attempt; an answer that refuses the signature's time corrects the clock and is sent once more, signed anew.</summary>
    private async Task<string> SendOnceAsync(string action, byte[] body, CancellationToken ct)
    {
        for (var corrected = false; ; corrected = true)
        {
            var (status, reason, serverTime, text) = await ExchangeAsync(action, body, ct).ConfigureAwait(false);
            if (status is >= 200 and < 300)
            {
                return text;
            }
            var failure = SnsResponseParser.ParseError(action, status, reason, text);
            if (corrected || !ClockSkewCodes.Contains(failure.Code) || serverTime is null || !_signer.TryCorrectClockSkew(Endpoint, serverTime.Value))
            {
                throw failure;
            }
            _logger.LogWarning("SNS {Action} refused the request's time ({Code}): this machine's clock is off by {Skew}; signing with SNS's time from now on",
                action, failure.Code, _signer.ClockCorrection);
        }
    }

    private async Task<(int Status, string? Reason, DateTimeOffset? ServerTime, string Text)> ExchangeAsync(string action, byte[] body, CancellationToken ct)
    {
        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false)
            ?? throw new InvalidOperationException("The AWS credentials provider returned no credentials.");
        var headers = _signer.Sign(Endpoint, body, credentials);

        using var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in headers)
        {
            // Signed headers must go out byte for byte as signed, hence no validation or reformatting.
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.Host = value;
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        // The attempt timeout runs on real time even when backoff runs on a test clock, so a test clock whose timers
        // fire at once cannot time out every attempt.
        using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attemptCts.CancelAfter(_options.AttemptTimeout);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, attemptCts.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
            return ((int)response.StatusCode, response.ReasonPhrase, response.Headers.Date, text);
        }
        catch (HttpRequestException ex)
        {
            throw new SnsException("NetworkError", $"SNS {action} could not reach {Endpoint}: {ex.Message}", 0, null, ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new SnsException("Timeout", $"SNS {action} got no answer from {Endpoint} within {_options.AttemptTimeout.TotalSeconds:0.#} s.", 0, null, ex);
        }
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$")]
    private static partial Regex RegionPattern();
}
