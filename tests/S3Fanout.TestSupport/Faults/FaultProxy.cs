using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Rules;

namespace S3Fanout.TestSupport.Faults;

/// <summary>How <see cref="FaultProxy.BeginOutage"/> makes the endpoint go away.</summary>
public enum OutageMode
{
    /// <summary>Stop listening: new connections are refused by the kernel (ECONNREFUSED).</summary>
    Refuse,
    /// <summary>Keep listening but reset every connection as soon as it is accepted (ECONNRESET).</summary>
    Reset,
}

/// <summary>
/// A fault-injecting HTTP/1.1 proxy for the emulator. Point an executable at <see cref="Endpoint"/> with --endpoint-url;
/// every request goes to the upstream endpoint unchanged (start line, headers and body byte for byte, except that
/// <c>Expect: 100-continue</c> is answered here and each request gets its own upstream connection), and every response
/// comes back with the same status, headers and body (re-framed with Content-Length), unless <see cref="Plan"/> says to
/// answer with an error, reset the connection, delay, truncate or flip a GET body, or drop, duplicate or delay SQS messages.
/// </summary>
/// <remarks>
/// <para>Written on <see cref="TcpListener"/> because there is no ASP.NET test host here and HttpListener would
/// rewrite what the SDK sends. Keep-alive, Content-Length and chunked (also aws-chunked) request bodies are handled.</para>
/// <para>Repeatable: each decision uses <c>new Random(...)</c> seeded from the proxy's seed, the request's identity
/// (service, operation, method and path without the bucket) and how many times that identity was seen, so one seed
/// gives the same faults to the same requests however concurrent requests interleave.</para>
/// <para>Dropped and held-back SQS messages are deleted upstream with a DeleteMessage the proxy sends itself (with the
/// receiving request's Authorization header; the emulator does not check signatures), so they do not come back after
/// the visibility timeout: a drop is a real loss.</para>
/// </remarks>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Uri _upstream;
    private readonly int _seed;
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private readonly ConcurrentDictionary<string, int> _occurrences = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<HeldMessage>> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _ruleLocks = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _listenerGate = new();
    private TcpListener? _listener;
    private volatile FaultPlan _plan = FaultPlan.None;
    private volatile object? _outage; // boxed OutageMode while the endpoint is away

    /// <param name="upstream">The real endpoint, e.g. <see cref="EmulatorFixture.Endpoint"/>.</param>
    /// <param name="seed">Seed of every fault decision; the same seed repeats the same faults.</param>
    public FaultProxy(Uri upstream, int seed)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _upstream = upstream;
        _seed = seed;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Listen(listener);
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:PORT, for --endpoint-url.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The faults to inject from now on (requests already in progress keep the decision they got).</summary>
    public FaultPlan Plan
    {
        get => _plan;
        set => _plan = value ?? FaultPlan.None;
    }

    public FaultCounts Counts { get; } = new();

    /// <summary>AWS behaviours the emulator lacks, enforced here; empty unless a test adds some.</summary>
    public AwsRules Rules { get; } = new();

    /// <summary>Called for every request before a fault is chosen (on a pool thread), e.g. to check a header.</summary>
    public event Action<ProxiedRequest>? RequestSeen;

    public bool InOutage => _outage is not null;

    /// <summary>The endpoint goes away: connections in progress are reset, new ones refused or reset per <paramref name="mode"/>.</summary>
    public void BeginOutage(OutageMode mode)
    {
        _outage = (object)mode;
        if (mode == OutageMode.Refuse)
        {
            lock (_listenerGate)
            {
                _listener?.Stop();
                _listener = null;
            }
        }
        foreach (var socket in _connections.Keys)
        {
            Counts.OutageCut();
            Reset(socket);
        }
    }

    /// <summary>The endpoint comes back on the same port.</summary>
    public void EndOutage()
    {
        lock (_listenerGate)
        {
            if (_listener is null && !_stopping.IsCancellationRequested)
            {
                var listener = new TcpListener(IPAddress.Loopback, Port);
                listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Start();
                Listen(listener);
            }
        }
        _outage = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_listenerGate)
        {
            _listener?.Stop();
            _listener = null;
        }
        foreach (var socket in _connections.Keys)
        {
            Reset(socket);
        }
        _stopping.Dispose();
    }

    private void Listen(TcpListener listener)
    {
        _listener = listener;
        _ = Task.Run(async () =>
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
                {
                    return; // stopped (outage or dispose)
                }
                _ = Task.Run(() => ServeAsync(socket));
            }
        });
    }

    /// <summary>One client connection: requests one after another (keep-alive) until it closes or a fault cuts it.</summary>
    private async Task ServeAsync(Socket socket)
    {
        _connections.TryAdd(socket, 0);
        try
        {
            if (_outage is not null)
            {
                Counts.OutageCut();
                Reset(socket);
                return;
            }
            socket.NoDelay = true;
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var reader = new HttpWireReader(stream);
            while (!_stopping.IsCancellationRequested)
            {
                var head = await reader.ReadHeadAsync(_stopping.Token).ConfigureAwait(false);
                if (head is null)
                {
                    break;
                }
                if (string.Equals(head.Get("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    // Let the client send its body now instead of waiting; upstream gets the request without Expect.
                    await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stopping.Token).ConfigureAwait(false);
                    head.Remove("Expect");
                }
                var (rawBody, body) = await reader.ReadBodyAsync(head, isResponse: false, _stopping.Token).ConfigureAwait(false);
                if (_outage is not null)
                {
                    Counts.OutageCut();
                    Reset(socket);
                    return;
                }
                var keepOpen = await HandleAsync(stream, socket, head, rawBody, body).ConfigureAwait(false);
                if (!keepOpen || string.Equals(head.Get("Connection"), "close", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }
            }
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or a fault cut the connection.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    /// <summary>Handles one request; false when the connection was cut.</summary>
    private async Task<bool> HandleAsync(NetworkStream client, Socket socket, HttpHead head, byte[] rawBody, byte[] body)
    {
        var request = Describe(head, body);
        Counts.Request(request.Service);
        RequestSeen?.Invoke(request);
        var ruled = new RuleRequest(request, body, AskUpstreamAsync);
        if (Rules.IsEmpty || Rules.LockKey(ruled) is not { } lockKey)
        {
            return await HandleRuledAsync(client, socket, head, rawBody, ruled).ConfigureAwait(false);
        }
        var gate = _ruleLocks.GetOrAdd(lockKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            return await HandleRuledAsync(client, socket, head, rawBody, ruled).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<bool> HandleRuledAsync(NetworkStream client, Socket socket, HttpHead head, byte[] rawBody, RuleRequest ruled)
    {
        var request = ruled.Request;
        if (!Rules.IsEmpty && await Rules.BeforeAsync(ruled).ConfigureAwait(false) is { } refusal)
        {
            await WriteAsync(client, (refusal.Head, refusal.Body)).ConfigureAwait(false);
            return true;
        }
        var plan = _plan;
        var rng = Draw(request.Service + " " + request.Operation + " " + request.Method + " " + WithoutBucket(request));
        var kind = Choose(plan, request, rng);

        if (kind is FaultKind.Error500 or FaultKind.SlowDown503 or FaultKind.TooMany429)
        {
            Counts.Inject(kind.Value, request.ToString());
            await WriteAsync(client, ErrorResponse(kind.Value, request)).ConfigureAwait(false);
            return true;
        }

        if (kind is FaultKind.BlackHole)
        {
            Counts.Inject(kind.Value, request.ToString());
            await HoldUntilClientLeavesAsync(client).ConfigureAwait(false);
            return false;
        }

        HttpHead responseHead;
        byte[] response;
        try
        {
            (responseHead, response) = await ForwardAsync(head, rawBody).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Reset(socket); // upstream unreachable: so is the proxy
            return false;
        }
        if (_outage is not null)
        {
            Counts.OutageCut();
            Reset(socket);
            return false;
        }
        if (!Rules.IsEmpty)
        {
            (responseHead, response) = Rules.After(ruled, new RuleAnswer(responseHead, response));
        }
        var bodiless = request.Method == "HEAD" || responseHead.StatusCode is 204 or 304;
        var isGetBody = request.Method == "GET" && responseHead.StatusCode is 200 or 206 && response.Length >= 2; // 206: ranged GETs of whole segments

        switch (kind)
        {
            case FaultKind.ResetBeforeResponse:
                Counts.Inject(kind.Value, request.ToString());
                Reset(socket);
                return false;
            case FaultKind.ResetMidBody when !bodiless && response.Length >= 2:
                Counts.Inject(kind.Value, request.ToString());
                await WriteHeadAsync(client, responseHead, response.Length).ConfigureAwait(false);
                await client.WriteAsync(response.AsMemory(0, response.Length / 2)).ConfigureAwait(false);
                await client.FlushAsync().ConfigureAwait(false);
                Reset(socket);
                return false;
            case FaultKind.StallBeforeResponse:
                Counts.Inject(kind.Value, request.ToString());
                await HoldUntilClientLeavesAsync(client).ConfigureAwait(false);
                return false;
            case FaultKind.StallMidBody when !bodiless && response.Length >= 2:
                Counts.Inject(kind.Value, request.ToString());
                await WriteHeadAsync(client, responseHead, response.Length).ConfigureAwait(false);
                await client.WriteAsync(response.AsMemory(0, response.Length / 2)).ConfigureAwait(false);
                await client.FlushAsync().ConfigureAwait(false);
                await HoldUntilClientLeavesAsync(client).ConfigureAwait(false);
                return false;
            case FaultKind.Delay:
                Counts.Inject(kind.Value, request.ToString());
                var span = plan.DelayMax - plan.DelayMin;
                await Task.Delay(plan.DelayMin + (span * rng.NextDouble())).ConfigureAwait(false);
                break;
            case FaultKind.TruncateGetBody when isGetBody:
                Counts.Inject(kind.Value, request.ToString());
                response = response[..(response.Length / 2)];
                // Keep a ranged answer consistent too: "bytes A-B/TOTAL" becomes "bytes A-(A+n-1)/TOTAL".
                if (responseHead.Get("Content-Range") is { } range && range.Split(' ', '-', '/') is [var unit, var first, _, var total]
                    && long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
                {
                    responseHead.Set("Content-Range", string.Create(CultureInfo.InvariantCulture, $"{unit} {start}-{start + response.Length - 1}/{total}"));
                }
                break;
            case FaultKind.FlipGetBody when isGetBody:
                Counts.Inject(kind.Value, request.ToString());
                response = (byte[])response.Clone();
                foreach (var position in Enumerable.Range(0, response.Length).OrderBy(_ => rng.Next()).Take(plan.BytesFlipped))
                {
                    response[position] ^= 0xFF;
                }
                break;
        }

        if (request.Service == AwsService.Sqs && request.Operation == "ReceiveMessage" && responseHead.StatusCode == 200)
        {
            response = await RewriteReceivedAsync(plan, head, ruled.Body, response).ConfigureAwait(false);
        }
        if (bodiless)
        {
            await WriteAsync(client, (Strip(responseHead), [])).ConfigureAwait(false);
        }
        else
        {
            await WriteHeadAsync(client, responseHead, response.Length).ConfigureAwait(false);
            await client.WriteAsync(response).ConfigureAwait(false);
        }
        await client.FlushAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>A black hole: says nothing more, and returns once the client closes the connection (or the proxy stops).</summary>
    private async Task HoldUntilClientLeavesAsync(NetworkStream client)
    {
        var scratch = new byte[1];
        try
        {
            while (await client.ReadAsync(scratch, _stopping.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static FaultKind? Choose(FaultPlan plan, ProxiedRequest request, Random rng)
    {
        var draw = rng.NextDouble(); // drawn even when not eligible, so eligibility does not shift later draws
        if (plan.Eligible is { } eligible && !eligible(request))
        {
            return null;
        }
        var cumulative = 0.0;
        foreach (var (kind, share) in plan.RequestShares())
        {
            cumulative += share;
            if (draw < cumulative)
            {
                return kind;
            }
        }
        return null;
    }

    /// <summary>A Random for the n-th request with this identity (see the class remarks).</summary>
    private Random Draw(string identity)
    {
        var n = _occurrences.AddOrUpdate(identity, 1, (_, c) => c + 1);
        // FNV-1a over "seed identity n": stable across processes, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var c in string.Create(CultureInfo.InvariantCulture, $"{_seed} {identity} {n}"))
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
#pragma warning disable CA5394 // Reproducible test faults, not security.
        return new Random((int)(hash ^ (hash >> 32)));
#pragma warning restore CA5394
    }

    private static string WithoutBucket(ProxiedRequest request) =>
        request.Service == AwsService.S3 ? request.Key + "?" + (request.Target.Split('?', 2) is { Length: 2 } q ? q[1] : "") : request.Target;

    private static ProxiedRequest Describe(HttpHead head, byte[] body)
    {
        var method = head.First;
        var target = head.Second;
        var amzTarget = head.Get("X-Amz-Target");
        // SigV4: "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ..."
        var scope = head.Get("Authorization") is { } auth && auth.Split("Credential=", 2) is { Length: 2 } cred
            ? cred[1].Split(',')[0].Split('/')
            : [];
        var service = scope.Length >= 5 ? scope[3] switch
        {
            "s3" => AwsService.S3,
            "sqs" => AwsService.Sqs,
            "sns" => AwsService.Sns,
            _ => AwsService.Unknown,
        } : amzTarget?.StartsWith("AmazonSQS.", StringComparison.Ordinal) == true ? AwsService.Sqs
          : body.AsSpan().StartsWith("Action="u8) ? AwsService.Sns
          : AwsService.S3;
        var operation = service switch
        {
            AwsService.Sqs when amzTarget is not null => amzTarget.Split('.')[^1],
            AwsService.Sns => FormValue(body, "Action") ?? "?",
            _ => method,
        };
        return new ProxiedRequest(method, target, service, operation, head);
    }

    private static string? FormValue(byte[] body, string name) =>
        Encoding.UTF8.GetString(body).Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == name) is { Length: 2 } pair
            ? Uri.UnescapeDataString(pair[1])
            : null;

    /// <summary>Sends the request to the upstream endpoint on a new connection and reads the whole response.</summary>
    private async Task<(HttpHead Head, byte[] Body)> ForwardAsync(HttpHead head, byte[] rawBody)
    {
        using var upstream = new TcpClient { NoDelay = true };
        await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stopping.Token).ConfigureAwait(false);
        await using var stream = upstream.GetStream();
        var forwarded = new HttpHead(head.StartLine, [.. head.Headers]);
        forwarded.Set("Connection", "close");
        await stream.WriteAsync(forwarded.ToBytes(), _stopping.Token).ConfigureAwait(false);
        await stream.WriteAsync(rawBody, _stopping.Token).ConfigureAwait(false);
        await stream.FlushAsync(_stopping.Token).ConfigureAwait(false);
        var reader = new HttpWireReader(stream);
        while (true)
        {
            var response = await reader.ReadHeadAsync(_stopping.Token).ConfigureAwait(false) ?? throw new IOException("upstream closed without a response");
            if (response.StatusCode is >= 100 and < 200)
            {
                continue; // 100 Continue and friends
            }
            if (head.First == "HEAD" || response.StatusCode is 204 or 304)
            {
                return (response, []);
            }
            var (_, body) = await reader.ReadBodyAsync(response, isResponse: true, _stopping.Token).ConfigureAwait(false);
            return (response, body);
        }
    }

    /// <summary>Applies the SQS message faults to a ReceiveMessage result (JSON protocol: a "Messages" array).</summary>
    private async Task<byte[]> RewriteReceivedAsync(FaultPlan plan, HttpHead requestHead, byte[] requestBody, byte[] response)
    {
        var queueUrl = JsonNode.Parse(requestBody)?["QueueUrl"]?.GetValue<string>() ?? "";
        var held = _held.GetOrAdd(queueUrl, _ => []);
        var root = JsonNode.Parse(response)?.AsObject() ?? [];
        var received = root["Messages"]?.AsArray().Select(m => m!.DeepClone()).ToList() ?? [];
        var delivered = new List<JsonNode>();
        var toDelete = new List<string>();
        var duplicates = new List<HeldMessage>();
        foreach (var message in received)
        {
            var rng = Draw("sqs-message " + queueUrl);
            var draw = rng.NextDouble();
            var id = message["MessageId"]?.GetValue<string>() ?? "?";
            if (draw < plan.SqsDrop)
            {
                Counts.Inject(FaultKind.SqsDrop, id);
                toDelete.Add(message["ReceiptHandle"]?.GetValue<string>() ?? "");
            }
            else if (draw < plan.SqsDrop + plan.SqsLate)
            {
                Counts.Inject(FaultKind.SqsLate, id);
                toDelete.Add(message["ReceiptHandle"]?.GetValue<string>() ?? "");
                lock (held)
                {
                    held.Add(new HeldMessage(message.DeepClone(), rng.Next(1, plan.SqsLateMaxResponses + 1)));
                }
            }
            else if (draw < plan.SqsDrop + plan.SqsLate + plan.SqsDuplicate)
            {
                Counts.Inject(FaultKind.SqsDuplicate, id);
                delivered.Add(message);
                // Half the time the copy follows at once, else in a later result.
                if (rng.Next(2) == 0)
                {
                    delivered.Add(message.DeepClone());
                }
                else
                {
                    duplicates.Add(new HeldMessage(message.DeepClone(), rng.Next(1, plan.SqsLateMaxResponses + 1)));
                }
            }
            else
            {
                delivered.Add(message);
            }
        }
        lock (held)
        {
            // Messages held earlier become due after some later results; they go after this result's own messages.
            for (var i = 0; i < held.Count; i++)
            {
                held[i] = held[i] with { ResultsToWait = held[i].ResultsToWait - 1 };
            }
            delivered.AddRange(held.Where(h => h.ResultsToWait < 0).Select(h => h.Message));
            held.RemoveAll(h => h.ResultsToWait < 0);
            held.AddRange(duplicates);
        }
        foreach (var receipt in toDelete)
        {
            await DeleteUpstreamAsync(requestHead, queueUrl, receipt).ConfigureAwait(false);
        }
        if (received.Count == 0 && delivered.Count == 0)
        {
            return response;
        }
        root["Messages"] = new JsonArray([.. delivered]);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private async Task DeleteUpstreamAsync(HttpHead receiveHead, string queueUrl, string receiptHandle)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["QueueUrl"] = queueUrl, ["ReceiptHandle"] = receiptHandle }.ToJsonString());
        var head = new HttpHead("POST / HTTP/1.1", [
            new("Host", _upstream.Authority),
            new("Content-Type", "application/x-amz-json-1.0"),
            new("X-Amz-Target", "AmazonSQS.DeleteMessage"),
            new("Authorization", receiveHead.Get("Authorization") ?? ""),
            new("X-Amz-Date", receiveHead.Get("X-Amz-Date") ?? ""),
            new("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)),
        ]);
        try
        {
            await ForwardAsync(head, body).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Best effort: an undeleted message only comes back after the visibility timeout.
        }
    }

    private static (HttpHead Head, byte[] Body) ErrorResponse(FaultKind kind, ProxiedRequest request)
    {
        var (status, code, message) = kind switch
        {
            FaultKind.Error500 => (500, "InternalError", "We encountered an internal error. Please try again."),
            FaultKind.SlowDown503 => (503, "SlowDown", "Please reduce your request rate."),
            _ => (429, "TooManyRequests", "Too many requests (injected by FaultProxy)."),
        };
        var answer = RuleAnswer.Error(request.Service, status, code, message, bodiless: request.Method == "HEAD");
        return (answer.Head, answer.Body);
    }

    /// <summary>A rule's own request to the endpoint (see <see cref="RuleRequest.AskUpstreamAsync"/>).</summary>
    private async Task<RuleAnswer> AskUpstreamAsync(HttpHead head, byte[] body)
    {
        var (responseHead, response) = await ForwardAsync(head, body).ConfigureAwait(false);
        return new RuleAnswer(responseHead, response);
    }

    /// <summary>Response headers without the upstream connection's framing.</summary>
    private static HttpHead Strip(HttpHead head)
    {
        head.Remove("Transfer-Encoding");
        head.Remove("Connection");
        head.Remove("Keep-Alive");
        return head;
    }

    private static async Task WriteHeadAsync(NetworkStream client, HttpHead head, long contentLength)
    {
        Strip(head).Set("Content-Length", contentLength.ToString(CultureInfo.InvariantCulture));
        await client.WriteAsync(head.ToBytes()).ConfigureAwait(false);
    }

    private static async Task WriteAsync(NetworkStream client, (HttpHead Head, byte[] Body) response)
    {
        await client.WriteAsync(response.Head.ToBytes()).ConfigureAwait(false);
        await client.WriteAsync(response.Body).ConfigureAwait(false);
        await client.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Closes with SO_LINGER 0, which sends RST instead of FIN: the peer sees "connection reset".</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private sealed record HeldMessage(JsonNode Message, int ResultsToWait);
}
