using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Subscriber.Notifications;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// The service instance's one SQS queue: subscribed to each channel bucket's topic (with a prefix filter policy only when
/// <see cref="FleetOptions.FilterPolicy"/>),
/// received in a loop and routed to the coordinator. The queue and its subscriptions are deleted on shutdown. A queue
/// deleted under the running service (by <c>cleanup-queues</c>, or by hand) is replaced: its subscriptions are removed,
/// and a new queue is created and subscribed the same way, after which the coordinator catches up.
/// </summary>
internal sealed class NotificationListener(FleetAws aws, MirrorCoordinator coordinator, FleetStatus status, IOptions<FleetOptions> options, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<NotificationListener>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await using var queue = await SubscribeAsync(stoppingToken).ConfigureAwait(false);
                coordinator.ListenerReady();
                var receiver = new NotificationReceiver(aws.Connection.Sqs, queue.QueueUrl, Buckets.ToHashSet(), coordinator.OnNotification, loggers.CreateLogger<NotificationReceiver>())
                {
                    RequestTimeout = aws.Connection.Settings.RequestTimeout,
                    ReceiveInterval = options.Value.ReceiveInterval,
                    Outcome = error =>
                    {
                        if (error is null)
                        {
                            status.Received();
                        }
                        else
                        {
                            status.ReceiveFailed(error);
                        }
                    },
                    EndsWhenQueueIsGone = true,
                };
                try
                {
                    await receiver.RunAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (QueueDoesNotExistException)
                {
                    _logger.LogWarning("The queue {Queue} was deleted under the running service (cleanup-queues, or by hand); removing its subscriptions and subscribing a new queue",
                        queue.QueueUrl);
                }
            }
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
    }

    private List<string> Buckets => coordinator.Channels.Select(c => c.Address.Bucket).Distinct().ToList();

    /// <summary>Creates the queue and subscribes it to each bucket's topic; a failure disposes what was made.</summary>
    private async Task<QueueSubscription> SubscribeAsync(CancellationToken ct)
    {
        var channels = coordinator.Channels;
        var buckets = Buckets;
        var queue = await QueueSubscription.CreateQueueAsync(aws.Connection.Sqs, aws.Sns, buckets[0],
            "serve " + string.Join(' ', channels.Select(c => c.Address.ToString())), _logger, ct).ConfigureAwait(false);
        try
        {
            foreach (var bucket in buckets)
            {
                var inBucket = channels.Where(c => c.Address.Bucket == bucket).ToList();
                var topic = inBucket.Select(c => c.Options.Topic).FirstOrDefault(t => t is not null) ?? ChannelNames.DefaultTopicName(bucket);
                // No filter unless FilterPolicy: the coordinator keeps only its channels' broadcasts anyway. With it, an empty
                // prefix takes the whole bucket, so still no filter; otherwise only broadcasts under the prefixes.
                var filter = !options.Value.FilterPolicy || inBucket.Any(c => c.Address.Prefix.Length == 0)
                    ? null
                    : SubscriptionPolicies.FilterForPrefixes(inBucket.Select(c => c.Address.Prefix).Distinct(), []);
                await queue.SubscribeAsync(topic, filter, ct).ConfigureAwait(false);
            }
            return queue;
        }
        catch
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
