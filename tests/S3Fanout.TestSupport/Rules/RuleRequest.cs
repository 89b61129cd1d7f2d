using System.Text;
using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>A request as a rule sees it: what the proxy knows, the decoded body, and a way to ask the endpoint itself.</summary>
public sealed class RuleRequest(ProxiedRequest request, byte[] body, Func<HttpHead, byte[], Task<RuleAnswer>> upstream)
{
    public ProxiedRequest Request { get; } = request;

    /// <summary>The payload, chunk framing removed.</summary>
    public byte[] Body { get; } = body;

    public AwsService Service => Request.Service;

    /// <summary>S3: the HTTP method; SQS: the JSON target's action; SNS: the Query API's Action.</summary>
    public string Operation => Request.Operation;

    /// <summary>The bucket of a path-style S3 request, or "".</summary>
    public string Bucket => Request.Service == AwsService.S3 ? Request.Target.Split('?', 2)[0].TrimStart('/').Split('/', 2)[0] : "";

    /// <summary>The S3 object key, or "" (the bucket itself, or another service).</summary>
    public string Key => Request.Key;

    /// <summary>True when the S3 request's query has <paramref name="name"/> (e.g. "uploadId", "partNumber", "list-type").</summary>
    public bool HasQuery(string name) => Query(name) is not null;

    /// <summary>An S3 query parameter's unescaped value ("" when given without one), or null.</summary>
    public string? Query(string name)
    {
        var parts = Request.Target.Split('?', 2);
        if (parts.Length < 2)
        {
            return null;
        }
        foreach (var pair in parts[1].Split('&'))
        {
            var kv = pair.Split('=', 2);
            if (Uri.UnescapeDataString(kv[0]) == name)
            {
                return kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            }
        }
        return null;
    }

    public string? Header(string name) => Request.Header(name);

    /// <summary>An SNS Query API form value (e.g. "Name", "Tags.member.1.Key"), or null.</summary>
    public string? Form(string name) =>
        Encoding.UTF8.GetString(Body).Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')) == name) is { Length: 2 } pair
            ? Uri.UnescapeDataString(pair[1].Replace('+', ' '))
            : null;

    /// <summary>Every SNS form value, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> FormValues() =>
        [.. Encoding.UTF8.GetString(Body).Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .Select(kv => new KeyValuePair<string, string>(Uri.UnescapeDataString(kv[0].Replace('+', ' ')), kv.Length == 2 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : ""))];

    /// <summary>The SQS JSON request body.</summary>
    public JsonObject Json() => (Body.Length == 0 ? null : JsonNode.Parse(Body)?.AsObject()) ?? [];

    /// <summary>
    /// This request's headers that a rule's own request of the same object (<see cref="AskUpstreamAsync"/>) carries over:
    /// all but signing, framing and the body's length and digest, which the rule's request sets for its own body.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> HeadersToForward() => Request.Head.Headers.Where(h => !NotForwarded.Contains(h.Key));

    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "X-Amz-Date", "x-amz-content-sha256", "Content-Length", "Content-MD5", "Expect",
        "Transfer-Encoding", "Content-Encoding", "x-amz-decoded-content-length", "Connection",
    };

    /// <summary>Sends a request of the rule's own to the endpoint (with this request's credentials) and reads its answer.</summary>
    public Task<RuleAnswer> AskUpstreamAsync(string method, string target, IEnumerable<KeyValuePair<string, string>>? headers = null, byte[]? body = null)
    {
        body ??= [];
        var head = new HttpHead($"{method} {target} HTTP/1.1", [
            new("Host", Request.Head.Get("Host") ?? "localhost"),
            new("Authorization", Request.Head.Get("Authorization") ?? ""),
            new("X-Amz-Date", Request.Head.Get("X-Amz-Date") ?? ""),
            new("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            .. headers ?? [],
            new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);
        return upstream(head, body);
    }
}
