using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>Makes the job for a broadcast the coordinator decided to mirror; the seam between deciding and doing.</summary>
internal interface IMirrorJobFactory
{
    IMirrorJob Create(ChannelAddress channel, ChannelOptions channelOptions, BroadcastLocation location, string id);
}
