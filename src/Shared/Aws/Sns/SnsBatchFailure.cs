namespace S3Fanout.Shared.Aws.Sns;

/// <param name="SenderFault">True when resending the same entry would fail again.</param>
internal sealed record SnsBatchFailure(string Id, string Code, string Message, bool SenderFault);
