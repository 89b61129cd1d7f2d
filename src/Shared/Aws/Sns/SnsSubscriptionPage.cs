namespace S3Fanout.Shared.Aws.Sns;

/// <summary>A page of ListSubscriptionsByTopic (https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html: up to 100 a page, NextToken for the rest).</summary>
internal sealed record SnsSubscriptionPage(IReadOnlyList<SnsSubscription> Subscriptions, string? NextToken);
