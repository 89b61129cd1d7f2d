using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;

namespace S3Fanout.Subscriber.Notifications;

/// <summary>
/// This subscriber's own SQS queue, subscribed to one or more channel topics with raw delivery (and a filter policy only
/// when asked: <c>--filter-policy</c>), and accepting messages only from those topics. Deleted with its subscriptions on dispose.
/// Queues are tagged (see <see cref="Tags"/>) and keep messages for at most <see cref="RetentionSeconds"/>, so queues
/// left behind by a killed subscriber are recognisable, bounded, and removable with <c>cleanup-queues</c>.
/// </summary>
internal sealed class QueueSubscription : IAsyncDisposable
{
    public const int RetentionSeconds = 4 * 3600;
    public const string FilterPolicyLimitExceeded = "FilterPolicyLimitExceeded";
    private readonly IAmazonSQS _sqs;
    private readonly ISnsClient? _sns;
    private readonly ILogger _logger;
    private readonly List<string> _topicArns = [];
    private readonly List<string> _subscriptionArns = [];
    private bool _unfiltered;
    private volatile bool _listening;

    private QueueSubscription(IAmazonSQS sqs, ISnsClient? sns, string queueUrl, string queueArn, ILogger logger)
    {
        _sqs = sqs;
        _sns = sns;
        QueueUrl = queueUrl;
        QueueArn = queueArn;
        _logger = logger;
    }

    public string QueueUrl { get; }
    public string QueueArn { get; }

    /// <summary>True once notifications can arrive: the queue is subscribed (or, with --notify sqs, merely exists).</summary>
    public bool Listening => _listening;

    public void MarkListening() => _listening = true;

    /// <summary>Creates the queue only; add topics with <see cref="SubscribeAsync"/>.</summary>
    /// <param name="bucket">Names the queue, so --notify sqs publishers of that bucket find it.</param>
    public static async Task<QueueSubscription> CreateQueueAsync(IAmazonSQS sqs, ISnsClient? sns, string bucket, string watching, ILogger logger, CancellationToken ct)
    {
        var name = ChannelNames.NewQueueName(bucket);
        var created = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new Dictionary<string, string>
            {
                ["MessageRetentionPeriod"] = RetentionSeconds.ToString(CultureInfo.InvariantCulture),
                ["VisibilityTimeout"] = "30",
            },
            Tags = Tags(bucket, watching),
        }, ct).ConfigureAwait(false);
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = created.QueueUrl, AttributeNames = ["QueueArn"] }, ct).ConfigureAwait(false);
        logger.LogInformation("Queue {Queue} created", name);
        return new QueueSubscription(sqs, sns, created.QueueUrl, attributes.QueueARN, logger);
    }

    /// <summary>
    /// Subscribes the queue to <paramref name="topic"/> (created if missing) and lets that topic, and only the subscribed
    /// topics, send to it. Throttling is waited out: SNS allows an account 100 Subscribe calls a second
    /// (https://docs.aws.amazon.com/general/latest/gr/sns.html, "Subscribe"), so a fleet started at once is answered
    /// <c>Throttled</c>, which the SNS client's attempts and then <see cref="SubscribeRetry"/>'s, spread with jitter, retry.
    /// </summary>
    /// <remarks>
    /// When the topic's or the account's filter policies are used up (<c>FilterPolicyLimitExceeded</c>: 200 a topic and
    /// 10,000 an account, https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html), the
    /// queue is subscribed without a filter, once logged at Warning: every notification of the topic then arrives, and the
    /// receiver's own check of bucket and broadcast (which runs on every message anyway) keeps only this subscriber's.
    /// </remarks>
    public async Task<string> SubscribeAsync(string topic, string? filterPolicy, CancellationToken ct)
    {
        var sns = _sns ?? throw new InvalidOperationException("no SNS client");
        return await SubscribeRetry(_logger).ExecuteAsync(async token =>
        {
            // Opened as the publisher opens it, so a subscriber started before the publisher subscribes to the same topic.
            var topicArn = await ChannelTopic.OpenAsync(sns, topic, token).ConfigureAwait(false);
            if (!_topicArns.Contains(topicArn))
            {
                // Listed only once the policy is set: an attempt that failed before must set it again, or SQS refuses SNS.
                await _sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest
                {
                    QueueUrl = QueueUrl,
                    Attributes = new Dictionary<string, string> { ["Policy"] = SubscriptionPolicies.OnlyFromTopics(QueueArn, [.. _topicArns, topicArn]) },
                }, token).ConfigureAwait(false);
                _topicArns.Add(topicArn);
            }
            string subscriptionArn;
            try
            {
                subscriptionArn = await sns.SubscribeAsync(topicArn, "sqs", QueueArn, SubscriptionAttributes(filterPolicy), token).ConfigureAwait(false);
            }
            catch (SnsException e) when (filterPolicy is not null && e.Code == FilterPolicyLimitExceeded)
            {
                if (!_unfiltered)
                {
                    _unfiltered = true;
                    _logger.LogWarning("SNS refused a filter policy for {Queue} on {Topic} ({Code}: the filter policies of the topic or the account are used up; " +
                        "cleanup-queues removes those of killed subscribers); subscribing without one and keeping only this subscriber's notifications",
                        QueueArn, topicArn, e.Code);
                }
                subscriptionArn = await sns.SubscribeAsync(topicArn, "sqs", QueueArn, SubscriptionAttributes(null), token).ConfigureAwait(false);
            }
            _subscriptionArns.Add(subscriptionArn);
            _listening = true;
            _logger.LogInformation("Queue {Queue} subscribed to {Topic}", QueueArn, topicArn);
            return topicArn;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Retries of a whole subscription beyond the SNS client's own attempts, with no limit on their number: a fleet of
    /// 10,000 started at once needs 10,000 / 100 = 100 s at SNS's Subscribe rate, and the last of them must not give up
    /// before then. Equal jitter up to <see cref="NotificationBudget.SubscribeRetryCap"/> (30 s) spreads out subscribers
    /// that were throttled together. It ends with the caller's token: the reader's end for a subscriber, shutdown for serve.
    /// </summary>
    private static StepRetry SubscribeRetry(ILogger logger) =>
        new(tries: StepRetry.Unlimited, logger, baseDelay: TimeSpan.FromSeconds(1), maxDelay: NotificationBudget.SubscribeRetryCap, attemptTimeout: Timeout.InfiniteTimeSpan);

    private static Dictionary<string, string> SubscriptionAttributes(string? filterPolicy)
    {
        var attributes = new Dictionary<string, string> { ["RawMessageDelivery"] = "true" };
        if (filterPolicy is not null)
        {
            attributes["FilterPolicyScope"] = "MessageAttributes";
            attributes["FilterPolicy"] = filterPolicy;
        }
        return attributes;
    }

    /// <summary>Tags that identify an S3Fanout queue and its owner; <see cref="QueueJanitor"/> reads them.</summary>
    public static Dictionary<string, string> Tags(string bucket, string watching)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            [QueueTags.Bucket] = bucket,
            [QueueTags.Watching] = QueueTags.Value(watching),
            [QueueTags.Host] = QueueTags.Value(Environment.MachineName),
            [QueueTags.Pid] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            [QueueTags.Created] = now,
            [QueueTags.Alive] = now,
        };
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var arn in _subscriptionArns.Where(a => a.StartsWith("arn:", StringComparison.Ordinal)))
        {
            try
            {
                await _sns!.UnsubscribeAsync(arn, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogWarning("Could not remove subscription {Subscription}: {Error}", arn, AwsErrors.Describe(e));
            }
        }
        try
        {
            await _sqs.DeleteQueueAsync(QueueUrl, timeout.Token).ConfigureAwait(false);
            _logger.LogInformation("Deleted queue {Queue}", QueueUrl);
        }
        catch (QueueDoesNotExistException)
        {
            _logger.LogDebug("Queue {Queue} was deleted already", QueueUrl);
        }
        catch (Exception e)
        {
            _logger.LogWarning("Could not delete queue {Queue}: {Error}", QueueUrl, AwsErrors.Describe(e));
        }
    }
}
