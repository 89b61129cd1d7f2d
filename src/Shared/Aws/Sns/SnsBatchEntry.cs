namespace S3Fanout.Shared.Aws.Sns;

/// <param name="Id">Unique within the batch; SNS allows 1-80 characters of [A-Za-z0-9_-].</param>
/// <param name="StringAttributes">Sent as message attributes of DataType String; null for none.</param>
internal sealed record SnsBatchEntry(string Id, string Message, IReadOnlyDictionary<string, string>? StringAttributes = null);
