using System.Collections.Concurrent;
using System.Globalization;

namespace S3Fanout.TestSupport.Faults;

/// <summary>What a <see cref="FaultProxy"/> saw and did; thread-safe, for assertions and the figures tests print.</summary>
public sealed class FaultCounts
{
    private const int MaxEvents = 2000;
    private readonly ConcurrentDictionary<FaultKind, int> _injected = new();
    private readonly ConcurrentDictionary<AwsService, int> _requests = new();
    private readonly ConcurrentQueue<string> _events = new();
    private int _outageCuts;

    /// <summary>Requests forwarded or answered, per service.</summary>
    public int Requests(AwsService service) => _requests.GetValueOrDefault(service);

    public int TotalRequests => _requests.Values.Sum();

    public int Injected(FaultKind kind) => _injected.GetValueOrDefault(kind);

    public int TotalInjected => _injected.Values.Sum();

    /// <summary>Connections reset or turned away because of an outage.</summary>
    public int OutageCuts => Volatile.Read(ref _outageCuts);

    /// <summary>The first faults injected, one line each ("FlipGetBody S3 GET /b/k"), for failure messages.</summary>
    public IReadOnlyCollection<string> Events => _events;

    internal void Request(AwsService service) => _requests.AddOrUpdate(service, 1, (_, n) => n + 1);

    internal void Inject(FaultKind kind, string what)
    {
        _injected.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (_events.Count < MaxEvents)
        {
            _events.Enqueue($"{kind} {what}");
        }
    }

    internal void OutageCut() => Interlocked.Increment(ref _outageCuts);

    /// <summary>One line: "requests 123 (S3 100, Sqs 20, Sns 3); injected 17: Error500 2, …".</summary>
    public override string ToString()
    {
        var requests = string.Join(", ", _requests.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
        var injected = string.Join(", ", _injected.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"requests {TotalRequests} ({requests}); injected {TotalInjected}{(injected.Length > 0 ? ": " + injected : "")}{(OutageCuts > 0 ? $"; outage cuts {OutageCuts}" : "")}");
    }
}
