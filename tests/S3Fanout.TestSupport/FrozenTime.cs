namespace S3Fanout.TestSupport;

/// <summary>A clock that stands still at the moment it was made, e.g. to keep every call in one rate window of a rule.</summary>
public sealed class FrozenTime : TimeProvider
{
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;
}
