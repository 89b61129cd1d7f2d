namespace S3Fanout.TestSupport;

/// <summary>
/// A clock that stands still at the moment it was made until <see cref="Release"/>, then runs with the real clock: a
/// rate rule on it refuses everything past its first window's allowance for as long as the test holds it.
/// </summary>
public sealed class HeldTime : TimeProvider
{
    private readonly DateTimeOffset _held = DateTimeOffset.UtcNow;
    private volatile bool _released;

    public void Release() => _released = true;

    public override DateTimeOffset GetUtcNow() => _released ? DateTimeOffset.UtcNow : _held;
}
