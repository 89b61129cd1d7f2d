namespace S3Fanout.TestSupport.Faults;

/// <summary>What the <see cref="FaultProxy"/> can do to one request or one SQS message.</summary>
public enum FaultKind
{
    /// <summary>Answered 500 InternalError by the proxy; the request never reaches the endpoint.</summary>
    Error500,
    /// <summary>Answered 503 SlowDown (S3's throttling error, XML body); the request never reaches the endpoint.</summary>
    SlowDown503,
    /// <summary>Answered 429 Too Many Requests; the request never reaches the endpoint.</summary>
    TooMany429,
    /// <summary>Forwarded (so it takes effect), then the client connection is reset before any byte of the response.</summary>
    ResetBeforeResponse,
    /// <summary>Forwarded; the response head and half its body are sent, then the connection is reset.</summary>
    ResetMidBody,
    /// <summary>Forwarded; the response is held back for a while (<see cref="FaultPlan.DelayMin"/>..<see cref="FaultPlan.DelayMax"/>).</summary>
    Delay,
    /// <summary>A GET body is cut to half, with a Content-Length that matches (a server that lies consistently).</summary>
    TruncateGetBody,
    /// <summary>A few bytes of a GET body are inverted; length and headers stay as they were.</summary>
    FlipGetBody,
    /// <summary>Forwarded (so it takes effect), then no answer at all: the connection stays open and silent until the client gives up.</summary>
    StallBeforeResponse,
    /// <summary>Forwarded; the response head and half its body are sent, then nothing more while the connection stays open.</summary>
    StallMidBody,
    /// <summary>Never forwarded and never answered: the connection is accepted and stays silent until the client gives up.</summary>
    BlackHole,
    /// <summary>An SQS message in a ReceiveMessage result is removed, and deleted upstream so it is gone for good.</summary>
    SqsDrop,
    /// <summary>An SQS message is delivered twice: once now, once again in a later ReceiveMessage result.</summary>
    SqsDuplicate,
    /// <summary>An SQS message is held back and delivered in a later ReceiveMessage result, after messages sent after it.</summary>
    SqsLate,
}

/// <summary>Which service a request is for, from its SigV4 credential scope (or its protocol when unsigned).</summary>
public enum AwsService
{
    Unknown,
    S3,
    Sqs,
    Sns,
}

/// <summary>What the proxy knows about a request when it decides on a fault.</summary>
public sealed record ProxiedRequest(string Method, string Target, AwsService Service, string Operation, HttpHead Head)
{
    /// <summary>The S3 object key (path-style: the path after the bucket, unescaped), or "" for other services.</summary>
    public string Key
    {
        get
        {
            if (Service != AwsService.S3)
            {
                return "";
            }
            var path = Target.Split('?', 2)[0].TrimStart('/');
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? "" : Uri.UnescapeDataString(path[(slash + 1)..]);
        }
    }

    public string? Header(string name) => Head.Get(name);

    public override string ToString() => $"{Service} {Operation} {Method} {Target}";
}

/// <summary>
/// The faults a <see cref="FaultProxy"/> injects; swap it at any time with <see cref="FaultProxy.Plan"/>.
/// Request faults are drawn once per request: a number in [0, 1) picks the first kind whose cumulative share it falls
/// under, so the shares add up (0.05 each of eight kinds = 40 % of eligible requests faulted). A kind that does not
/// fit the request (a body fault on a response without a body) leaves that request alone and is not counted.
/// </summary>
public sealed record FaultPlan
{
    /// <summary>No faults: the proxy forwards faithfully.</summary>
    public static FaultPlan None { get; } = new();

    public double Error500 { get; init; }
    public double SlowDown503 { get; init; }
    public double TooMany429 { get; init; }
    public double ResetBeforeResponse { get; init; }
    public double ResetMidBody { get; init; }
    public double Delay { get; init; }
    public double TruncateGetBody { get; init; }
    public double FlipGetBody { get; init; }
    public double StallBeforeResponse { get; init; }
    public double StallMidBody { get; init; }
    public double BlackHole { get; init; }

    public TimeSpan DelayMin { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan DelayMax { get; init; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>Bytes inverted by <see cref="FaultKind.FlipGetBody"/> (at distinct random positions).</summary>
    public int BytesFlipped { get; init; } = 3;

    /// <summary>Which requests the request faults above may hit; null = all.</summary>
    public Func<ProxiedRequest, bool>? Eligible { get; init; }

    /// <summary>Share of SQS ReceiveMessage messages removed (and deleted upstream).</summary>
    public double SqsDrop { get; init; }

    /// <summary>Share of SQS messages delivered twice.</summary>
    public double SqsDuplicate { get; init; }

    /// <summary>Share of SQS messages held back and delivered 1..<see cref="SqsLateMaxResponses"/> ReceiveMessage results later.</summary>
    public double SqsLate { get; init; }

    public int SqsLateMaxResponses { get; init; } = 3;

    /// <summary>Request faults in the order their shares are stacked.</summary>
    internal IEnumerable<(FaultKind Kind, double Share)> RequestShares()
    {
        yield return (FaultKind.Error500, Error500);
        yield return (FaultKind.SlowDown503, SlowDown503);
        yield return (FaultKind.TooMany429, TooMany429);
        yield return (FaultKind.ResetBeforeResponse, ResetBeforeResponse);
        yield return (FaultKind.ResetMidBody, ResetMidBody);
        yield return (FaultKind.Delay, Delay);
        yield return (FaultKind.TruncateGetBody, TruncateGetBody);
        yield return (FaultKind.FlipGetBody, FlipGetBody);
        yield return (FaultKind.StallBeforeResponse, StallBeforeResponse);
        yield return (FaultKind.StallMidBody, StallMidBody);
        yield return (FaultKind.BlackHole, BlackHole);
    }

    /// <summary>Every request fault at <paramref name="share"/> each, for S3 requests only.</summary>
    public static FaultPlan EveryS3Fault(double share) => new()
    {
        Error500 = share,
        SlowDown503 = share,
        TooMany429 = share,
        ResetBeforeResponse = share,
        ResetMidBody = share,
        Delay = share,
        TruncateGetBody = share,
        FlipGetBody = share,
        Eligible = r => r.Service == AwsService.S3,
    };
}
