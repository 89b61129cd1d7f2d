namespace S3Fanout.Subscriber.Planning;

/// <summary>What <c>plan</c> is asked about: a stream rate, the publisher's segment size, the fleet and its topology.</summary>
internal sealed record PlanInputs
{
    /// <summary>Bytes a second the publisher takes in.</summary>
    public required double BytesPerSecond { get; init; }

    /// <summary>The publisher's -m, in MiB.</summary>
    public required long SegmentMiB { get; init; }

    public required long Subscribers { get; init; }

    /// <summary>--replicas K: each segment stored under 1 + K keys on distinct prefixes, at every tier.</summary>
    public int Replicas { get; init; }

    /// <summary>--relays R: the subscribers read from R relays (none from the origin), N / R each.</summary>
    public int Relays { get; init; }

    /// <summary>The publisher's (and each relay's) coalescing window: at most one notification per window.</summary>
    public TimeSpan NotifyWindow { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The subscriber's least time between two receives while messages flow.</summary>
    public TimeSpan ReceivePacing { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The subscriber's long poll when its queue is empty (the SQS maximum, 20 s).</summary>
    public TimeSpan LongPoll { get; init; } = TimeSpan.FromSeconds(20);

    public double SegmentsPerSecond => BytesPerSecond / (SegmentMiB * 1048576.0);

    /// <summary>Keys each segment is stored under at one tier.</summary>
    public int Copies => 1 + Replicas;
}
