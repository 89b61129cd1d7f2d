namespace S3Fanout.Shared.Aws.Sns;

/// <summary>The few SNS Query API actions this project needs.</summary>
internal interface ISnsClient
{
    /// <summary>Creates the topic, or returns the existing topic's ARN (SNS makes CreateTopic idempotent).</summary>
    Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string>? tags, CancellationToken ct);

    /// <summary>Subscribes with ReturnSubscriptionArn=true, so the ARN is real even before confirmation.</summary>
    /// <param name="attributes">Subscription attributes, e.g. RawMessageDelivery, FilterPolicy, FilterPolicyScope.</param>
    Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string> attributes, CancellationToken ct);

    Task UnsubscribeAsync(string subscriptionArn, CancellationToken ct);

    /// <summary>One page of the topic's subscriptions (SNS returns up to 100 a page); pass the page's NextToken for the next.</summary>
    Task<SnsSubscriptionPage> ListSubscriptionsByTopicAsync(string topicArn, string? nextToken, CancellationToken ct);

    /// <summary>Publishes one message with String message attributes; returns the MessageId.</summary>
    Task<string> PublishAsync(string topicArn, string message, IReadOnlyDictionary<string, string> stringAttributes, CancellationToken ct);

    Task<IReadOnlyDictionary<string, string>> GetTopicAttributesAsync(string topicArn, CancellationToken ct);

    Task SetTopicAttributesAsync(string topicArn, string name, string value, CancellationToken ct);
}
