namespace S3Fanout.Shared.Notifications;

/// <summary>
/// The one place for the notification topology's defaults, the AWS quotas they are chosen against, and the request
/// arithmetic that follows (README "Scaling out" &gt; "Notification topology"; the <c>plan</c> command reads these).
/// </summary>
/// <remarks>
/// A channel is one SNS topic. Subscribers and <c>serve</c> subscribe their queue to it without a filter policy by default
/// (one Subscribe call each, no filter-policy quota, no filter propagation delay) and keep only their own broadcast in the
/// client, so every subscriber of a channel receives the notifications of every broadcast on it.
/// <para>Per live broadcast at r segments sealed a second, with window w and heartbeat interval h:</para>
/// <list type="bullet">
/// <item>SNS publishes/s = max(min(r, 1/w), r / <see cref="Protocol.SegmentsReady.MaxSegments"/>), plus 1/h only while no
/// segment is sealed (<see cref="PublishesPerSecond"/>). Each subscriber of the channel receives that many messages a second.</item>
/// <item>SQS requests/s per subscriber while messages flow: at most one ReceiveMessage per receive interval i (or at once
/// after a receive that came back full) and one DeleteMessageBatch per non-empty receive, so
/// 2 × max(1/i, m/10) for m messages/s (<see cref="SqsRequestsPerSecond"/>); idle, one long poll per 20 s.</item>
/// </list>
/// </remarks>
internal static class NotificationBudget
{
    /// <summary>--notify-window: segment notices sealed within it go out as one message.</summary>
    public static readonly TimeSpan DefaultNotifyWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Least time between two ReceiveMessage calls of a subscriber while messages flow. 1.5 s: at 20 segments/s and the
    /// 250 ms window (4 messages/s, 6 per receive, under SQS's 10) that is 1/1.5 receives and as many batch deletes,
    /// 1.33 requests/s, leaving room under the 2/s target for the queue's own setup and alive-tag calls.
    /// </summary>
    public static readonly TimeSpan DefaultReceiveInterval = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// SQS returns at most 10 messages a ReceiveMessage and long-polls at most 20 s
    /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html,
    /// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/best-practices-setting-up-long-polling.html);
    /// DeleteMessageBatch deletes up to ten
    /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html).
    /// </summary>
    public const int SqsMaxMessagesPerReceive = 10;

    /// <inheritdoc cref="SqsMaxMessagesPerReceive"/>
    public const int SqsMaxWaitSeconds = 20;

    /// <summary>SNS: 100 Subscribe calls a second per account (https://docs.aws.amazon.com/general/latest/gr/sns.html).</summary>
    public const int SnsSubscribesPerSecond = 100;

    /// <summary>
    /// SNS: 200 filter policies a topic, 10,000 an account, changes applied within up to 15 minutes
    /// (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). Only <c>--filter-policy</c> uses them.
    /// </summary>
    public const int SnsFilterPoliciesPerTopic = 200;

    /// <inheritdoc cref="SnsFilterPoliciesPerTopic"/>
    public const int SnsFilterPoliciesPerAccount = 10_000;

    /// <summary>SNS: 100,000 standard topics per account (https://docs.aws.amazon.com/general/latest/gr/sns.html): room for a channel per busy broadcast.</summary>
    public const int SnsTopicsPerAccount = 100_000;

    /// <summary>SNS: a message body and its attributes at most 256 KiB (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).</summary>
    public const int SnsMaxMessageBytes = 262_144;

    /// <summary>
    /// S3: about 5,500 GET/HEAD a second per partitioned prefix
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html): why a subscriber that has not
    /// joined yet backs off its manifest polling (<see cref="JoiningPollCap"/>).
    /// </summary>
    public const int S3GetsPerPrefixPerSecond = 5_500;

    /// <summary>Largest wait between two Subscribe attempts of a joining subscriber (jittered, no limit on attempts).</summary>
    public static readonly TimeSpan SubscribeRetryCap = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest wait between two manifest reads of a subscriber that has not joined yet: the waits grow from 1 s with
    /// equal jitter to 5–10 s, so 10,000 joining subscribers read the one manifest key at most 10,000 / 5 s = 2,000 times a
    /// second (1,333 on average), under S3's 5,500.
    /// </summary>
    public static readonly TimeSpan JoiningPollCap = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest wait between two manifest reads of a subscriber that waits for a broadcast not begun yet while its queue
    /// listens: one long poll. The publisher's first notification ends the wait at once, since a long-polled ReceiveMessage
    /// "sends a response after it collects at least one available message"
    /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html); the
    /// manifest reads, growing from 1 s to 10–20 s with equal jitter, are only the net for a lost notification or a
    /// publisher with <c>--notify none</c>.
    /// </summary>
    public static readonly TimeSpan WaitingPollCap = TimeSpan.FromSeconds(SqsMaxWaitSeconds);

    /// <summary>
    /// Largest wait between two manifest reads of a subscriber that waits for a broadcast not begun yet with no
    /// notifications (<c>--notify none</c>): the reads grow from 1 s to 2.5–5 s, so such a subscriber starts at most 5 s
    /// after the publisher's first manifest.
    /// </summary>
    public static readonly TimeSpan WaitingPollCapWithoutNotifications = TimeSpan.FromSeconds(5);

    /// <summary>Seconds for <paramref name="subscribers"/> started together to subscribe at SNS's Subscribe rate.</summary>
    public static double JoinSeconds(int subscribers) => (double)subscribers / SnsSubscribesPerSecond;

    /// <summary>SNS publishes a second (= messages a second to each subscriber of the channel) for one live broadcast.</summary>
    /// <param name="segmentsPerSecond">Segments sealed a second.</param>
    /// <param name="window">The notify window; zero sends one message per segment.</param>
    public static double PublishesPerSecond(double segmentsPerSecond, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
        {
            return segmentsPerSecond;
        }
        return Math.Max(Math.Min(segmentsPerSecond, 1 / window.TotalSeconds), segmentsPerSecond / Protocol.SegmentsReady.MaxSegments);
    }

    /// <summary>SQS requests a second of one subscriber receiving <paramref name="messagesPerSecond"/> (receives plus batch deletes).</summary>
    public static double SqsRequestsPerSecond(double messagesPerSecond, TimeSpan receiveInterval)
    {
        if (messagesPerSecond <= 0)
        {
            return 1.0 / SqsMaxWaitSeconds;
        }
        var receives = Math.Max(Math.Min(messagesPerSecond, 1 / receiveInterval.TotalSeconds), messagesPerSecond / SqsMaxMessagesPerReceive);
        return 2 * receives;
    }
}
