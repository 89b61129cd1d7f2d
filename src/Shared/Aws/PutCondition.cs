namespace S3Fanout.Shared.Aws;

/// <summary>
/// A precondition on a PUT, as S3's conditional writes take it
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): <c>If-None-Match: *</c> writes only
/// if no object has the key; <c>If-Match: ETAG</c> only over the object with that ETag. Either way S3 answers
/// 412 PreconditionFailed when the condition does not hold (409 ConditionalRequestConflict under a concurrent write,
/// which is tried again).
/// </summary>
internal sealed record PutCondition(string? IfNoneMatch, string? IfMatch)
{
    public static readonly PutCondition IfAbsent = new("*", null);

    public static PutCondition IfUnchanged(string etag) => new(null, etag);
}
