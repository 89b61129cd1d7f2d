using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>Makes a <see cref="MirrorJob"/>, with a fresh tracker, for each broadcast to mirror.</summary>
internal sealed class MirrorJobFactory(FleetAws aws, StateStore states, IOptions<FleetOptions> options, ILoggerFactory loggers) : IMirrorJobFactory
{
    public IMirrorJob Create(ChannelAddress channel, ChannelOptions channelOptions, BroadcastLocation location, string id)
    {
        var tracker = new BroadcastTracker(location, TimeProvider.System, loggers.CreateLogger<BroadcastTracker>());
        return new MirrorJob(channel, channelOptions, tracker, id, aws, states, options.Value, loggers);
    }
}
