using System.Reflection;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using S3Fanout.Subscriber.Notifications;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.UnitTests.Notifications;

/// <summary>
/// A failed refresh of the <c>s3fanout:alive</c> tag is what lets <c>cleanup-queues</c> delete a live queue later,
/// so it must be seen in a service's log at Warning.
/// </summary>
public sealed class NotificationReceiverAliveTagTests
{
    [Fact]
    public async Task WhenRefreshingTheAliveTagFails_ItIsLoggedAtWarningAndReceivingGoesOn()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 18, 0, 0, TimeSpan.Zero));
        var sqs = ScriptedSqs.Create();
        var log = new FakeLogger<NotificationReceiver>();
        var receiver = new NotificationReceiver(sqs, "http://sqs.local/q", new HashSet<string> { "fleet-bucket" }, _ => true, log, time);
        using var stop = new CancellationTokenSource();

        var run = receiver.RunAsync(stop.Token);
        await Poll.UntilAsync(() => ScriptedSqs.Of(sqs).Receives > 0, TimeSpan.FromSeconds(15), "the first receive");
        time.Advance(QueueTags.AliveInterval);
        await Poll.UntilAsync(() => ScriptedSqs.Of(sqs).TagAttempts > 0, TimeSpan.FromSeconds(15), "the alive tag's refresh");
        var receivesAfterTag = ScriptedSqs.Of(sqs).Receives;
        await Poll.UntilAsync(() => ScriptedSqs.Of(sqs).Receives > receivesAfterTag + 1, TimeSpan.FromSeconds(15), "receiving to go on");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        var refresh = Assert.Single(log.Collector.GetSnapshot(), e => e.Message.Contains("alive tag", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, refresh.Level);
        Assert.Contains("not allowed to tag", refresh.Message, StringComparison.Ordinal);
    }
}

/// <summary>An SQS whose receives answer empty at once and whose TagQueue is refused; every other call fails the test.</summary>
public class ScriptedSqs : DispatchProxy
{
    private int _receives;
    private int _tagAttempts;

    public int Receives => Volatile.Read(ref _receives);

    public int TagAttempts => Volatile.Read(ref _tagAttempts);

    internal static IAmazonSQS Create() => DispatchProxy.Create<IAmazonSQS, ScriptedSqs>();

    internal static ScriptedSqs Of(IAmazonSQS sqs) => (ScriptedSqs)(object)sqs;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod?.Name)
        {
            case nameof(IAmazonSQS.ReceiveMessageAsync):
                Interlocked.Increment(ref _receives);
                return ReceiveAsync((CancellationToken)args![^1]!);
            case nameof(IAmazonSQS.TagQueueAsync):
                Interlocked.Increment(ref _tagAttempts);
                return Task.FromException<TagQueueResponse>(new AmazonSQSException("not allowed to tag") { ErrorCode = "AccessDenied" });
            default:
                throw new NotSupportedException($"{targetMethod?.Name} is not scripted");
        }
    }

    private static async Task<ReceiveMessageResponse> ReceiveAsync(CancellationToken ct)
    {
        await Task.Delay(5, ct);
        return new ReceiveMessageResponse { Messages = [] };
    }
}
