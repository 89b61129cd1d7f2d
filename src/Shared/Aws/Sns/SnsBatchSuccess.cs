namespace S3Fanout.Shared.Aws.Sns;

internal sealed record SnsBatchSuccess(string Id, string MessageId);
