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
        var sns = new SnsClient(new SnsClientOptions { ServiceUrl = settings.EndpointUrl, Region = connection.Region.SystemName, MaxAttempts = settings.Tries }, connection.Credentials, logger: loggers.CreateLogger<SnsClient>());
        return new FleetAws(connection, sns);
    }

    public void Dispose()
    {
        Sns.Dispose();
        Connection.Dispose();
    }
}
