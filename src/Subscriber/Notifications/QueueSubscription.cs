using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Notifications;

/// <summary>
/// This subscriber's own SQS queue, subscribed to the channel's topic with raw delivery and a filter policy on the
/// broadcast, and accepting messages only from that topic. Deleted with its subscription on dispose.
/// Queues are tagged and keep messages for at most <see cref="RetentionSeconds"/>, so ones left by a killed
/// subscriber are recognisable and bounded.
/// </summary>
internal sealed class QueueSubscription : IAsyncDisposable
{
    public const int RetentionSeconds = 4 * 3600;
    public const string TagPrefix = "s3fanout:";
    private readonly IAmazonSQS _sqs;
    private readonly ISnsClient? _sns;
    private readonly ILogger _logger;

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
    public string? TopicArn { get; private set; }
    public string? SubscriptionArn { get; private set; }

    /// <param name="filterPolicy">SNS filter policy on message attributes, e.g. the broadcast name or a prefix.</param>
    /// <param name="topic">Topic name or ARN; null with <paramref name="sns"/> null for --notify sqs.</param>
    public static async Task<QueueSubscription> CreateAsync(
        IAmazonSQS sqs, ISnsClient? sns, string bucket, string? topic, string filterPolicy, string watching, ILogger logger, CancellationToken ct)
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
            Tags = new Dictionary<string, string>
            {
                [TagPrefix + "bucket"] = bucket,
                [TagPrefix + "watching"] = Truncate(watching, 256),
                [TagPrefix + "host"] = Truncate(Environment.MachineName, 256),
                [TagPrefix + "pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                [TagPrefix + "created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            },
        }, ct).ConfigureAwait(false);
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = created.QueueUrl, AttributeNames = ["QueueArn"] }, ct).ConfigureAwait(false);
        var subscription = new QueueSubscription(sqs, sns, created.QueueUrl, attributes.QueueARN, logger);
        try
        {
            if (sns is not null && topic is not null)
            {
                await subscription.SubscribeAsync(sns, topic, filterPolicy, ct).ConfigureAwait(false);
            }
            logger.LogInformation("Queue {Queue} ready{Topic}", name, subscription.TopicArn is null ? "" : $", subscribed to {subscription.TopicArn}");
            return subscription;
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task SubscribeAsync(ISnsClient sns, string topic, string filterPolicy, CancellationToken ct)
    {
        // CreateTopic is idempotent, so a subscriber started before the publisher subscribes to the same topic.
        TopicArn = topic.StartsWith("arn:", StringComparison.Ordinal) ? topic : await sns.CreateTopicAsync(topic, null, ct).ConfigureAwait(false);
        await _sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest
        {
            QueueUrl = QueueUrl,
            Attributes = new Dictionary<string, string> { ["Policy"] = OnlyFromTopicPolicy(QueueArn, TopicArn) },
        }, ct).ConfigureAwait(false);
        SubscriptionArn = await sns.SubscribeAsync(TopicArn, "sqs", QueueArn, new Dictionary<string, string>
        {
            ["RawMessageDelivery"] = "true",
            ["FilterPolicyScope"] = "MessageAttributes",
            ["FilterPolicy"] = filterPolicy,
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Filter policy for one broadcast, or for every broadcast under a prefix (the fleet service).</summary>
    public static string FilterFor(string broadcast, bool isPrefix) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        [NotificationCodec.BroadcastAttribute] = isPrefix ? new object[] { new Dictionary<string, string> { ["prefix"] = broadcast } } : new object[] { broadcast },
    });

    /// <summary>The queue policy: only the channel's topic may send, and only to this queue.</summary>
    public static string OnlyFromTopicPolicy(string queueArn, string topicArn) => JsonSerializer.Serialize(new
    {
        Version = "2012-10-17",
        Statement = new[]
        {
            new
            {
                Sid = "OnlyFromS3FanoutTopic",
                Effect = "Allow",
                Principal = new { Service = "sns.amazonaws.com" },
                Action = "sqs:SendMessage",
                Resource = queueArn,
                Condition = new { ArnEquals = new Dictionary<string, string> { ["aws:SourceArn"] = topicArn } },
            },
        },
    });

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        if (SubscriptionArn is not null && _sns is not null && SubscriptionArn.StartsWith("arn:", StringComparison.Ordinal))
        {
            try
            {
                await _sns.UnsubscribeAsync(SubscriptionArn, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogWarning("Could not remove subscription {Subscription}: {Error}", SubscriptionArn, AwsErrors.Describe(e));
            }
        }
        try
        {
            await _sqs.DeleteQueueAsync(QueueUrl, timeout.Token).ConfigureAwait(false);
            _logger.LogInformation("Deleted queue {Queue}", QueueUrl);
        }
        catch (Exception e)
        {
            _logger.LogWarning("Could not delete queue {Queue}: {Error}", QueueUrl, AwsErrors.Describe(e));
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
