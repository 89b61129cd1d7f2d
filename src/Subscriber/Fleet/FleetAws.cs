using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The service's AWS clients, as the host (S3FanoutHost) built them; the host owns and disposes them.</summary>
internal sealed class FleetAws(AwsConnection connection, SnsClient sns)
{
    public AwsConnection Connection { get; } = connection;
    public SnsClient Sns { get; } = sns;
}
