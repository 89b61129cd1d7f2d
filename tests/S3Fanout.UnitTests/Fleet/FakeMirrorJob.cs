using S3Fanout.Subscriber.Fleet;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>A job that records its run in the state store as <see cref="MirrorJob"/> does, and ends when the test says.</summary>
internal sealed class FakeMirrorJob(string id, ChannelAddress channel, BroadcastTracker tracker, StateStore states, DateTimeOffset? uploadBegan) : IMirrorJob
{
    private readonly TaskCompletionSource<bool> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id => id;
    public ChannelAddress Channel => channel;
    public BroadcastTracker Tracker => tracker;
    public string? LastError { get; private set; }
    public Task Started => _started.Task;

    public void Succeed() => _outcome.TrySetResult(true);

    public void Fail(string error)
    {
        LastError = error;
        _outcome.TrySetResult(false);
    }

    public async Task<bool> RunAsync(CancellationToken ct)
    {
        var record = new MirrorRecord { Url = tracker.Location.ToString(), UploadBegan = uploadBegan, Status = MirrorStatus.Mirroring };
        states.Save(id, record);
        _started.TrySetResult();
        var ok = await _outcome.Task.WaitAsync(ct);
        states.Save(id, record with { Status = ok ? MirrorStatus.Done : MirrorStatus.Failed, Detail = LastError });
        return ok;
    }
}
