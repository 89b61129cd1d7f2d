namespace S3Fanout.Subscriber.Planning;

/// <summary>A documented AWS limit the plan checks a figure against.</summary>
internal sealed record Quota(double Limit, string Text, string Source);

/// <summary>The AWS quotas a fan-out meets, each with the page that documents it.</summary>
internal static class AwsQuotas
{
    /// <summary>"at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3 prefix".</summary>
    public static readonly Quota S3GetPerPrefix = new(5_500, "5,500 GET/HEAD per second per partitioned prefix",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html");

    public static readonly Quota S3PutPerPrefix = new(3_500, "3,500 PUT/COPY/POST/DELETE per second per partitioned prefix",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html");

    /// <summary>Publish: 30,000 messages a second in us-east-1 (fewer in other regions); Subscribe: 100 calls a second per account.</summary>
    public static readonly Quota SnsPublish = new(30_000, "30,000 publishes per second (us-east-1)", "https://docs.aws.amazon.com/general/latest/gr/sns.html");

    public static readonly Quota SnsSubscribe = new(100, "100 Subscribe calls per second per account", "https://docs.aws.amazon.com/general/latest/gr/sns.html");

    /// <summary>12,500,000 subscriptions per standard topic.</summary>
    public static readonly Quota SnsSubscriptionsPerTopic = new(12_500_000, "12,500,000 subscriptions per topic", "https://docs.aws.amazon.com/general/latest/gr/sns.html");

    /// <summary>200 filter policies per topic, 10,000 per account.</summary>
    public static readonly Quota SnsFilterPolicies = new(200, "200 filter policies per topic (10,000 per account)",
        "https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html");

    /// <summary>Standard queues support "a nearly unlimited number of API calls per second"; a receive returns at most 10 messages.</summary>
    public static readonly Quota SqsRequests = new(double.PositiveInfinity, "no request-rate quota (standard queues); at most 10 messages per receive",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html");

    /// <summary>The target for one subscriber, not an AWS quota: 2 SQS requests a second of broadcast.</summary>
    public static readonly Quota SqsPerSubscriber = new(2, "target: 2 requests per second per subscriber (issue 12)",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html");

    /// <summary>At most 10 messages per ReceiveMessage (MaxNumberOfMessages 1 to 10) and per DeleteMessageBatch.</summary>
    public const int MessagesPerReceive = 10;
}
