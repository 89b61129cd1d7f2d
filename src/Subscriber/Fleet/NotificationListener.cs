using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Subscriber.Notifications;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// The service instance's one SQS queue: subscribed to each channel bucket's topic with a prefix filter policy,
/// received in a loop and routed to the coordinator. The queue and its subscriptions are deleted on shutdown.
/// </summary>
internal sealed class NotificationListener(FleetAws aws, MirrorCoordinator coordinator, FleetStatus status, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<NotificationListener>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channels = coordinator.Channels;
        var buckets = channels.Select(c => c.Address.Bucket).Distinct().ToList();
        QueueSubscription? queue = null;
        try
        {
            queue = await QueueSubscription.CreateQueueAsync(aws.Connection.Sqs, aws.Sns, buckets[0],
                "serve " + string.Join(' ', channels.Select(c => c.Address.ToString())), _logger, stoppingToken).ConfigureAwait(false);
            foreach (var bucket in buckets)
            {
                var inBucket = channels.Where(c => c.Address.Bucket == bucket).ToList();
                var topic = inBucket.Select(c => c.Options.Topic).FirstOrDefault(t => t is not null) ?? ChannelNames.DefaultTopicName(bucket);
                // An empty prefix takes the whole bucket, so no filter; otherwise only broadcasts under the prefixes.
                var filter = inBucket.Any(c => c.Address.Prefix.Length == 0)
                    ? null
                    : SubscriptionPolicies.FilterForPrefixes(inBucket.Select(c => c.Address.Prefix).Distinct(), []);
                await queue.SubscribeAsync(topic, filter, stoppingToken).ConfigureAwait(false);
            }
            coordinator.ListenerReady();
            var receiver = new NotificationReceiver(aws.Connection.Sqs, queue.QueueUrl, buckets.ToHashSet(), coordinator.OnNotification, loggers.CreateLogger<NotificationReceiver>())
            {
                RequestTimeout = aws.Connection.Settings.RequestTimeout,
            };
            await receiver.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            var fatal = AwsErrors.ToFatal(e, "cannot subscribe to the channels' notifications");
            _logger.LogCritical("{Error}", fatal.Message);
            status.Fail(fatal);
            throw;
        }
        finally
        {
            if (queue is not null)
            {
                await queue.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
