using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The service's AWS clients, opened once from the validated settings.</summary>
internal sealed class FleetAws(AwsConnection connection, SnsClient sns) : IDisposable
{
    public AwsConnection Connection { get; } = connection;
    public SnsClient Sns { get; } = sns;

    public static FleetAws Open(AwsSettings settings, ILoggerFactory loggers)
    {
        var connection = AwsConnection.Open(settings);
        return new FleetAws(connection, connection.CreateSns(loggers));
    }

    public void Dispose()
    {
        Sns.Dispose();
        Connection.Dispose();
    }
}
