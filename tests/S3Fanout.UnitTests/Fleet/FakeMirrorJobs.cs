using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fleet;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>Makes <see cref="FakeMirrorJob"/>s and keeps them, in the order the coordinator asked for them.</summary>
internal sealed class FakeMirrorJobs(StateStore states, TimeProvider time) : IMirrorJobFactory
{
    private readonly List<FakeMirrorJob> _created = [];

    /// <summary>The upload_began the jobs find in the manifest and record, as a real job reads it.</summary>
    public DateTimeOffset? UploadBegan { get; set; }

    public IReadOnlyList<FakeMirrorJob> Created
    {
        get
        {
            lock (_created)
            {
                return [.. _created];
            }
        }
    }

    public IMirrorJob Create(ChannelAddress channel, ChannelOptions channelOptions, BroadcastLocation location, string id)
    {
        var tracker = new BroadcastTracker(location, time, NullLogger<BroadcastTracker>.Instance);
        var job = new FakeMirrorJob(id, channel, tracker, states, UploadBegan);
        lock (_created)
        {
            _created.Add(job);
        }
        return job;
    }
}
