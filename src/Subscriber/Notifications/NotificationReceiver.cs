using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Notifications;

/// <summary>
/// Long-polls the subscriber's queue and hands each valid notification to <paramref name="deliver"/>.
/// Messages are deleted as soon as they are read, all of one receive in one DeleteMessageBatch: a lost one costs only
/// latency, since the manifest covers it. While messages flow, receives are at least <see cref="ReceiveInterval"/> apart
/// (unless one came back full), so a subscriber makes at most 2 / <see cref="ReceiveInterval"/> SQS requests a second
/// whatever the message rate (see <see cref="NotificationBudget"/>).
/// Receive errors are logged and retried, and a message that cannot be handled is logged and dropped: neither ever
/// ends the subscriber.
/// </summary>
internal sealed class NotificationReceiver(
    IAmazonSQS sqs,
    string queueUrl,
    IReadOnlySet<string> buckets,
    Func<Notification, bool> deliver,
    ILogger<NotificationReceiver> logger,
    TimeProvider? time = null)
{
    private const int WaitSeconds = NotificationBudget.SqsMaxWaitSeconds;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// The limit of one call beyond its own long-poll wait: a receive that has not answered by then is abandoned and made
    /// again, so a black-holed endpoint cannot park the loop forever.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = StepRetry.DefaultAttemptTimeout;

    /// <summary>Told of each receive's outcome: null when it answered, else why it failed (the service's health file).</summary>
    public Action<string?>? Outcome { get; init; }

    /// <summary>
    /// End <see cref="RunAsync"/> with <see cref="QueueDoesNotExistException"/> when the queue was deleted, so the owner
    /// can make a new one, instead of retrying a queue that will never come back. "If the queue was deleted before the API
    /// call was made, then the API call will return this error": <c>QueueDoesNotExist</c>
    /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-api-errors.html),
    /// <c>AWS.SimpleQueueService.NonExistentQueue</c> in the query protocol; the SDK throws <see cref="QueueDoesNotExistException"/>.
    /// </summary>
    public bool EndsWhenQueueIsGone { get; init; }

    /// <summary>
    /// Least time from the start of one receive to the next after a receive that brought messages but not a full 10; an
    /// empty receive (a whole long poll) or a full one is followed at once.
    /// </summary>
    public TimeSpan ReceiveInterval { get; init; } = NotificationBudget.DefaultReceiveInterval;

    private long _aliveAt;

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Receiving notifications from {Queue}", queueUrl);
        _aliveAt = _time.GetTimestamp();
        for (var failures = 0; ; )
        {
            await RefreshAliveTagAsync(ct).ConfigureAwait(false);
            var receivedAt = _time.GetTimestamp();
            ReceiveMessageResponse response;
            try
            {
                // SQS returns at most 10 messages a receive and long-polls for at most 20 s
                // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
                using var attempt = Attempt(TimeSpan.FromSeconds(WaitSeconds), ct);
                response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = queueUrl,
                    MaxNumberOfMessages = NotificationBudget.SqsMaxMessagesPerReceive,
                    WaitTimeSeconds = WaitSeconds,
                    MessageAttributeNames = ["All"],
                }, attempt.Token).ConfigureAwait(false);
                failures = 0;
                Outcome?.Invoke(null);
            }
            catch (QueueDoesNotExistException) when (EndsWhenQueueIsGone)
            {
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures++;
                Outcome?.Invoke(AwsErrors.Describe(e));
                logger.LogWarning("Receiving notifications failed ({Failures} in a row): {Error}", failures, AwsErrors.Describe(e));
                await Task.Delay(Backoff.Delay(Math.Min(failures, 8)) + TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                continue;
            }
            var messages = response.Messages ?? [];
            foreach (var message in messages)
            {
                Handle(message.Body ?? "");
            }
            if (messages.Count > 0)
            {
                await DeleteAsync(messages, ct).ConfigureAwait(false);
            }
            await PaceAsync(messages.Count, receivedAt, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a receive that brought some messages but not a full receive's worth, waits out the rest of
    /// <see cref="ReceiveInterval"/>: the next receive then gathers what arrived meanwhile, up to 10 a call.
    /// </summary>
    private async Task PaceAsync(int received, long receivedAt, CancellationToken ct)
    {
        if (received is 0 or >= NotificationBudget.SqsMaxMessagesPerReceive)
        {
            return;
        }
        var left = ReceiveInterval - _time.GetElapsedTime(receivedAt);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, _time, ct).ConfigureAwait(false);
        }
    }

    private void Handle(string body)
    {
        try
        {
            Route(body);
        }
        catch (Exception e)
        {
            // Anyone allowed to publish to the topic writes these messages: whatever one does to its handler, the
            // queue must go on being read for the next, real one.
            logger.LogError("Dropping a message on {Queue} that could not be handled: {Error}", queueUrl, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private void Route(string body)
    {
        if (!NotificationCodec.TryParse(Unwrap(body), out var notification, out var reason))
        {
            logger.LogWarning("Ignoring a message on {Queue}: {Reason}", queueUrl, reason);
            return;
        }
        if (!buckets.Contains(notification.Bucket))
        {
            logger.LogWarning("Ignoring a notification for bucket {Bucket}: this subscriber follows {Expected}", notification.Bucket, string.Join(", ", buckets));
            return;
        }
        if (!deliver(notification))
        {
            logger.LogDebug("Notification for another broadcast {Broadcast} ignored", notification.Broadcast);
        }
    }

    /// <summary>Marks the queue as in use, so <c>cleanup-queues</c> never removes the queue of a live subscriber.</summary>
    private async Task RefreshAliveTagAsync(CancellationToken ct)
    {
        if (_time.GetElapsedTime(_aliveAt) < QueueTags.AliveInterval)
        {
            return;
        }
        _aliveAt = _time.GetTimestamp();
        try
        {
            using var attempt = Attempt(TimeSpan.Zero, ct);
            await sqs.TagQueueAsync(new TagQueueRequest
            {
                QueueUrl = queueUrl,
                Tags = new Dictionary<string, string> { [QueueTags.Alive] = _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }, attempt.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Not fatal, but cleanup-queues deletes a queue whose tag it finds stale, so an operator must see this.
            logger.LogWarning("Refreshing the alive tag of {Queue} failed (cleanup-queues may take the queue for an orphan): {Error}", queueUrl, AwsErrors.Describe(e));
        }
    }

    private CancellationTokenSource Attempt(TimeSpan wait, CancellationToken ct)
    {
        var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(wait + RequestTimeout);
        return attempt;
    }

    /// <summary>Without raw delivery SNS wraps the message in an envelope; accept both.</summary>
    private static string Unwrap(string body)
    {
        if (!body.Contains("\"TopicArn\"", StringComparison.Ordinal))
        {
            return body;
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("Type", out var type) && type.GetString() == "Notification"
                && doc.RootElement.TryGetProperty("Message", out var inner) && inner.GetString() is { } text
                ? text
                : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private async Task DeleteAsync(List<Message> messages, CancellationToken ct)
    {
        try
        {
            using var attempt = Attempt(TimeSpan.Zero, ct);
            await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry { Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ReceiptHandle = m.ReceiptHandle }).ToList(),
            }, attempt.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Undeleted messages come back after the visibility timeout as duplicates, which are harmless.
            logger.LogDebug("Deleting received messages failed: {Error}", AwsErrors.Describe(e));
        }
    }
}
