namespace S3Fanout.Shared.Aws.Sns;

/// <summary>One subscription of a topic, as ListSubscriptionsByTopic lists it (the ARN is "PendingConfirmation" until confirmed).</summary>
internal sealed record SnsSubscription(string SubscriptionArn, string Protocol, string Endpoint);
