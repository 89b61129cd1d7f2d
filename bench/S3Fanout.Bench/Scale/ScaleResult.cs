using System.Diagnostics;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.Bench.Scale;

/// <summary>One variant's raw figures and the ones derived from them (per segment and subscriber, percentiles).</summary>
internal sealed class ScaleResult
{
    public required string Name { get; init; }
    public int Relays { get; init; }
    public IReadOnlyList<int> RelayExits { get; init; } = [];
    public IReadOnlyList<string> RelayErrors { get; init; } = [];
    public double RelayCpuS { get; init; }
    public required int Subscribers { get; init; }
    public required int Segments { get; init; }
    public required string StreamSha256 { get; init; }
    public required long StreamBytes { get; init; }
    public required IReadOnlyList<SubscriberOutcome> Outcomes { get; init; }
    public required long StartedAt { get; init; }
    public required long FeedStartedAt { get; init; }
    public required long PublisherDoneAt { get; init; }
    public required int PublisherExit { get; init; }
    public required string PublisherStderr { get; init; }
    public required double PublisherCpuS { get; init; }
    public required double HarnessCpuS { get; init; }
    public required double EmulatorCpuS { get; init; }
    public required double HarnessPeakRssMiB { get; init; }
    public required ScaleCounters Counters { get; init; }
    public required IReadOnlyList<long> JoinedAt { get; init; }
    public required RuleFigures Rules { get; init; }
    public int FilterPoliciesAtJoin { get; init; }

    public int Identical => Outcomes.Count(x => x.Error is null && x.Sink.Bytes == StreamBytes && x.Sink.Sha256 == StreamSha256);

    public int Failed => Outcomes.Count(x => x.Error is not null);

    public IEnumerable<string> Errors => Outcomes.Where(x => x.Error is not null).Select(x => x.Error!).Distinct().Take(5);

    public bool Passed => PublisherExit == 0 && Identical == Subscribers && RelayExits.All(e => e == 0) && SegmentBytesThroughRelays == 0;

    /// <summary>Segment GETs on the origin bucket while relays copy it: bytes through a relay host (the target is none).</summary>
    public int SegmentBytesThroughRelays => Relays == 0 ? 0 : Counters.Count("S3 GET segment origin");

    /// <summary>Seconds from the subscribers' start to each one's first successful Subscribe.</summary>
    public List<double> JoinSeconds => [.. JoinedAt.Select(t => Seconds(StartedAt, t)).Order()];

    /// <summary>Seconds from the publisher's exit to each finished subscriber's completion (negative: before it).</summary>
    public List<double> FinishLagSeconds => [.. Outcomes.Where(x => x.Sink.CompletedAt != 0).Select(x => Seconds(PublisherDoneAt, x.Sink.CompletedAt)).Order()];

    /// <summary>The broadcast's length: from the first write to the publisher's exit.</summary>
    public double BroadcastSeconds => Seconds(FeedStartedAt, PublisherDoneAt);

    /// <summary>The segment GETs of the subscribers: on the origin, or on the relays' buckets.</summary>
    public double SegmentGets => Counters.Count(Relays == 0 ? "S3 GET segment origin" : "S3 GET segment relay");

    public double PerSegmentAndSubscriber(double count) => Segments == 0 ? 0 : count / Segments / Subscribers;

    /// <summary>
    /// The subscribers' message requests (ReceiveMessage, DeleteMessage, DeleteMessageBatch; not the queue's set-up and
    /// removal) per subscriber per second of broadcast: the "2 or fewer a second".
    /// </summary>
    public double SqsPerSubscriberSecond =>
        (Counters.Count("Sqs ReceiveMessage") + Counters.Count("Sqs DeleteMessage") + Counters.Count("Sqs DeleteMessageBatch")) / (double)Subscribers / Math.Max(BroadcastSeconds, 0.001);

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;
}
