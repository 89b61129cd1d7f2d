using System.Net;
using System.Text;

namespace S3Fanout.UnitTests.Sns;

/// <summary>Stands in for SNS: records each request and answers from a script, in order.</summary>
internal sealed class CapturingHandler : HttpMessageHandler
{
    private readonly Queue<Func<CancellationToken, Task<HttpResponseMessage>>> _script = new();
    private readonly List<CapturedRequest> _requests = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<CapturedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public CapturingHandler Respond(HttpStatusCode status, string xml)
    {
        _script.Enqueue(_ => Task.FromResult(new HttpResponseMessage(status)
        {
            Content = new StringContent(xml, Encoding.UTF8, "text/xml"),
        }));
        return this;
    }

    /// <summary>Answers with a Date header, as SNS does, so the client can tell SNS's time.</summary>
    public CapturingHandler RespondAt(HttpStatusCode status, string xml, DateTimeOffset serverTime)
    {
        _script.Enqueue(_ =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
            response.Headers.Date = serverTime;
            return Task.FromResult(response);
        });
        return this;
    }

    public CapturingHandler Throw(Exception exception)
    {
        _script.Enqueue(_ => Task.FromException<HttpResponseMessage>(exception));
        return this;
    }

    /// <summary>Never answers; only the request's cancellation ends it.</summary>
    public CapturingHandler Hang()
    {
        _script.Enqueue(async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            headers[name] = values.ToString();
        }

        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers.NonValidated)
            {
                headers[name] = values.ToString();
            }
        }

        Func<CancellationToken, Task<HttpResponseMessage>> next;
        lock (_gate)
        {
            _requests.Add(new CapturedRequest(request.Method, request.RequestUri!, body, headers));
            if (!_script.TryDequeue(out next!))
            {
                throw new InvalidOperationException($"Unexpected request #{_requests.Count}.");
            }
        }

        return await next(cancellationToken);
    }
}
