namespace S3Fanout.Shared.Aws;

/// <summary>What went wrong, as far as retrying and the user are concerned; see <see cref="AwsErrors.Classify"/>.</summary>
internal enum FailureKind
{
    /// <summary>A 5xx, a reset connection, an answer that could not be read: the next attempt may succeed.</summary>
    Transient,
    /// <summary>The service asked to slow down (503 SlowDown, 429, Throttling): try again after a backoff.</summary>
    Throttled,
    /// <summary>An attempt got no answer, or a transfer moved no byte, within its timeout.</summary>
    TimedOut,
    /// <summary>The endpoint could not be reached at all (refused, reset, no route, no name).</summary>
    Unreachable,
    /// <summary>Data arrived damaged (a checksum or MD5 differs): fetched or stored again.</summary>
    Corrupt,
    /// <summary>No such key, topic or queue.</summary>
    NotFound,
    /// <summary>The bucket does not exist.</summary>
    MissingBucket,
    /// <summary>No credentials, or the credentials may not do this.</summary>
    AccessDenied,
    /// <summary>
    /// A GET or HEAD of an object answered 403 AccessDenied: the key may be missing (S3 answers so when the principal may
    /// not list the bucket) or not readable; see <see cref="AwsErrors.ClassifyRead"/>.
    /// </summary>
    MissingOrDenied,
    /// <summary>A conditional write found the object other than expected (412): another writer got there first.</summary>
    PreconditionFailed,
    /// <summary>The endpoint does not implement what the request asked for (501 NotImplemented), e.g. conditional writes.</summary>
    Unsupported,
    /// <summary>The service refused the request as it was made (any other 4xx); the same request fails again.</summary>
    Rejected,
    /// <summary>One of S3Fanout's own <see cref="FatalException"/>s: its exit code and its retry flag decide.</summary>
    Reported,
    /// <summary>The caller's cancellation (Ctrl-C, shutdown, a sibling stage failed).</summary>
    Cancelled,
    /// <summary>Anything else: a bug.</summary>
    Internal,
}
