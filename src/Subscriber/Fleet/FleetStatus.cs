using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>A failure that must stop the service with a non-zero exit (the host itself only logs a failed service).</summary>
internal sealed class FleetStatus
{
    private FatalException? _failure;

    public FatalException? Failure => Volatile.Read(ref _failure);

    public void Fail(FatalException failure) => Interlocked.CompareExchange(ref _failure, failure, null);
}
