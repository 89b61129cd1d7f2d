using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// A failure that must stop the service with a non-zero exit (the host itself only logs a failed service), and whether
/// notifications are being received, for the health file.
/// </summary>
internal sealed class FleetStatus(TimeProvider time)
{
    private readonly object _gate = new();
    private FatalException? _failure;
    private DateTimeOffset? _receiveFailingSince;
    private string? _receiveError;

    public FatalException? Failure => Volatile.Read(ref _failure);

    public void Fail(FatalException failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    /// <summary>A receive answered: notifications arrive again.</summary>
    public void Received()
    {
        lock (_gate)
        {
            _receiveFailingSince = null;
            _receiveError = null;
        }
    }

    /// <summary>A receive failed; the first failure of a run of them starts its clock.</summary>
    public void ReceiveFailed(string error)
    {
        lock (_gate)
        {
            _receiveFailingSince ??= time.GetUtcNow();
            _receiveError = error;
        }
    }

    /// <summary>Why receiving fails, when it has failed without a success for at least <paramref name="bound"/>; else null.</summary>
    public string? ReceiveFailure(TimeSpan bound)
    {
        lock (_gate)
        {
            return _receiveFailingSince is { } since && time.GetUtcNow() - since >= bound
                ? $"receiving notifications has failed since {since:O}: {_receiveError}"
                : null;
        }
    }
}
