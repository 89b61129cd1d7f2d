using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Planning;

/// <summary>One figure of the plan, against the quota it must stay under.</summary>
internal sealed record PlanLine(string Component, double Value, string Unit, Quota Quota)
{
    public bool Over => Value > Quota.Limit;
}

/// <summary>A priced item: requests an hour times its price.</summary>
internal sealed record CostLine(Price Price, double UnitsPerHour)
{
    public decimal DollarsPerHour => Price.For(UnitsPerHour);
}

/// <summary>
/// The arithmetic of <c>s3fanout-subscribe plan</c>: pure, from <see cref="PlanInputs"/> to figures, costs and suggestions.
/// </summary>
/// <remarks>
/// The topology modelled: one topic per channel with no per-subscriber filter policy (the subscriber filters); the
/// publisher coalesces segment notices over the notify window, so a topic carries min(segment rate, 1 / window)
/// notifications a second; a subscriber receives up to 10 messages per ReceiveMessage at least <see
/// cref="PlanInputs.ReceivePacing"/> apart and deletes them with one DeleteMessageBatch. Replicas: 1 + K keys per segment
/// on distinct prefixes, subscribers spread over them by a stable hash. Relays: R relays each CopyObject every key of
/// every segment from the origin into their own prefix and re-announce on their own topic; the subscribers are split
/// evenly over the relays and none reads the origin. All in one account, so Subscribe calls share its 100 a second.
/// <para>
/// GETs per prefix: every subscriber reads every segment once, so a prefix serves (readers / copies) × segment rate
/// a second on average. A slow stream is not spread that thin: a notice reaches the subscribers within one receive
/// cycle, so one segment's reads land within <see cref="PlanInputs.ReceivePacing"/>; the rate is therefore taken as
/// (readers / copies) × max(segment rate, 1 / pacing), the burst of one segment's reads.
/// </para>
/// </remarks>
internal sealed class CapacityPlan
{
    private readonly PlanInputs _in;

    public CapacityPlan(PlanInputs inputs)
    {
        _in = inputs;
        Lines = BuildLines();
        Costs = BuildCosts();
    }

    public PlanInputs Inputs => _in;

    public IReadOnlyList<PlanLine> Lines { get; }

    public IReadOnlyList<CostLine> Costs { get; }

    public decimal DollarsPerHour => Costs.Sum(c => c.DollarsPerHour);

    /// <summary>Subscribers reading from one tier's keys: all of them from the origin, or an equal share of each relay.</summary>
    public double ReadersPerTier => _in.Relays == 0 ? _in.Subscribers : (double)_in.Subscribers / _in.Relays;

    /// <summary>Notifications a second on one topic: one per segment, or one per window when segments come faster.</summary>
    public double NotificationsPerSecond => Math.Min(_in.SegmentsPerSecond, 1 / _in.NotifyWindow.TotalSeconds);

    /// <summary>Segment reads a second that land on one subscriber-facing prefix (see the remarks for the burst).</summary>
    public double GetsPerPrefix => ReadersPerTier / _in.Copies * Math.Max(_in.SegmentsPerSecond, 1 / _in.ReceivePacing.TotalSeconds);

    /// <summary>The origin's prefixes under relays: each relay reads every key once (CopyObject), spread over the copies.</summary>
    public double OriginGetsPerPrefix => _in.Relays == 0 ? GetsPerPrefix : _in.Relays * _in.SegmentsPerSecond;

    /// <summary>PUTs (or copies) a second into one prefix: one per segment, at every tier.</summary>
    public double PutsPerPrefix => _in.SegmentsPerSecond;

    /// <summary>ReceiveMessage calls a second of one subscriber while the stream flows.</summary>
    public double ReceivesPerSubscriber
    {
        get
        {
            var m = NotificationsPerSecond;
            var paced = 1 / _in.ReceivePacing.TotalSeconds;
            // Messages arrive faster than the pacing: one receive per pacing interval, more when 10 a receive is not enough;
            // slower: each long poll returns with the next message, and an empty queue still polls every 20 s.
            return m >= paced ? Math.Max(paced, m / AwsQuotas.MessagesPerReceive) : Math.Max(m, 1 / _in.LongPoll.TotalSeconds);
        }
    }

    /// <summary>DeleteMessageBatch calls a second of one subscriber: one per receive that returned messages.</summary>
    public double DeletesPerSubscriber => Math.Min(ReceivesPerSubscriber, NotificationsPerSecond);

    public double SqsPerSubscriber => ReceivesPerSubscriber + DeletesPerSubscriber;

    public double SnsPublishesPerSecond => (1 + _in.Relays) * NotificationsPerSecond;

    /// <summary>Seconds until every subscription (the subscribers' and the relays') is made, at 100 Subscribe calls a second.</summary>
    public double JoinSeconds => (_in.Subscribers + _in.Relays) / AwsQuotas.SnsSubscribe.Limit;

    /// <summary>The least replicas that bring <see cref="GetsPerPrefix"/> under the GET quota (with these relays).</summary>
    public int ReplicasNeeded => Math.Max(0, (int)Math.Ceiling(GetsPerPrefix * _in.Copies / AwsQuotas.S3GetPerPrefix.Limit) - 1);

    /// <summary>What to change when a line is over its quota; empty when every line fits.</summary>
    public IReadOnlyList<string> Suggestions()
    {
        var list = new List<string>();
        if (GetsPerPrefix > AwsQuotas.S3GetPerPrefix.Limit)
        {
            var relays = _in.Relays == 0 ? 10 : _in.Relays;
            var withRelays = new CapacityPlan(_in with { Relays = relays, Replicas = 0 });
            list.Add(ReplicasNeeded <= KeyLayout.MaxReplicas
                ? $"--replicas {ReplicasNeeded}: spreads the reads of each segment over {ReplicasNeeded + 1} prefixes ({GetsPerPrefix * _in.Copies / (ReplicasNeeded + 1):#,0} GET/s each)"
                : $"replicas alone cannot: {ReplicasNeeded} would be needed, at most {KeyLayout.MaxReplicas} are written");
            list.Add($"or --relays {relays} --replicas {withRelays.ReplicasNeeded}: {withRelays.ReadersPerTier:#,0} subscribers per relay");
        }
        if (OriginGetsPerPrefix > AwsQuotas.S3GetPerPrefix.Limit && _in.Relays > 0)
        {
            list.Add("fewer relays, or a relay of relays: the origin's prefix is read by every relay");
        }
        if (SqsPerSubscriber > AwsQuotas.SqsPerSubscriber.Limit)
        {
            list.Add($"a longer --notify-window: {NotificationsPerSecond:0.#} notifications/s reach each subscriber");
        }
        return list;
    }

    private List<PlanLine> BuildLines()
    {
        var tier = _in.Relays == 0 ? "origin" : "each relay";
        var lines = new List<PlanLine>
        {
            new($"S3 GETs/s per prefix ({tier}, {ReadersPerTier:#,0.#} readers over {_in.Copies} prefix(es))", GetsPerPrefix, "GET/s", AwsQuotas.S3GetPerPrefix),
        };
        if (_in.Relays > 0)
        {
            lines.Add(new($"S3 GETs/s per prefix (origin, read by {_in.Relays} relays' copies)", OriginGetsPerPrefix, "GET/s", AwsQuotas.S3GetPerPrefix));
        }
        lines.Add(new("S3 PUTs/s per prefix (one per segment; replicas and relays write their own prefixes)", PutsPerPrefix, "PUT/s", AwsQuotas.S3PutPerPrefix));
        lines.Add(new($"SNS publishes/s ({1 + _in.Relays} topic(s), window {_in.NotifyWindow.TotalMilliseconds:0} ms)", SnsPublishesPerSecond, "publish/s", AwsQuotas.SnsPublish));
        lines.Add(new("SQS requests/s, all subscribers", SqsPerSubscriber * _in.Subscribers, "request/s", AwsQuotas.SqsRequests));
        lines.Add(new("SQS requests/s per subscriber (receive + batch delete)", SqsPerSubscriber, "request/s", AwsQuotas.SqsPerSubscriber));
        lines.Add(new($"SNS Subscribe: time to join {_in.Subscribers + _in.Relays:#,0} subscriptions", JoinSeconds, "s", new Quota(double.PositiveInfinity,
            AwsQuotas.SnsSubscribe.Text + " (joining is paced to it)", AwsQuotas.SnsSubscribe.Source)));
        lines.Add(new("SNS subscriptions per topic", ReadersPerTier, "subscriptions", AwsQuotas.SnsSubscriptionsPerTopic));
        lines.Add(new("SNS filter policies per topic (channel topics filter in the subscriber)", 0, "policies", AwsQuotas.SnsFilterPolicies));
        return lines;
    }

    private List<CostLine> BuildCosts()
    {
        const double hour = 3600;
        var segments = _in.SegmentsPerSecond * hour;
        return
        [
            // Every subscriber reads every segment once, from whichever tier and copy it is given.
            new(PriceTable.S3Get, _in.Subscribers * segments),
            // The publisher's PUTs and each relay's CopyObjects, one per key of each segment.
            new(PriceTable.S3Put, (1 + _in.Relays) * _in.Copies * segments),
            new(PriceTable.SqsRequest, _in.Subscribers * SqsPerSubscriber * hour),
            new(PriceTable.SnsPublish, SnsPublishesPerSecond * hour),
            new(PriceTable.TransferSameRegion, _in.Subscribers * _in.BytesPerSecond * hour / 1e9),
        ];
    }
}
