using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Protocol;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Announcing;

/// <summary>Notifications beside the data path: never waited for, dropped when late, given up on at the end's deadline.</summary>
public sealed class NotificationDispatcherTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<NotificationDispatcher> _log = new();

    private Heartbeat Beat(long stored, TimeSpan age = default) =>
        new() { Bucket = Locations.Default.Bucket, Broadcast = Locations.Default.Prefix, StoredSegments = stored, SentAt = _time.GetUtcNow() - age };

    [Fact]
    public async Task WhenTheSinkNeverAnswers_SendingDoesNotWait_AndTheDrainGivesUpAtItsDeadlineWithOneWarning()
    {
        var silent = new SilentSink();
        var dispatcher = new NotificationDispatcher(silent, _time, _log);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => dispatcher.RunAsync(stop.Token));

        for (var i = 1; i <= 3; i++)
        {
            Assert.True(dispatcher.SendAsync(Beat(i), CancellationToken.None).IsCompletedSuccessfully, "the announcer must never wait for a notification");
        }
        await silent.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var drain = dispatcher.DrainAsync(running, stop, TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(drain.IsCompleted, "the drain ended before its deadline");
        _time.Advance(TimeSpan.FromSeconds(1));
        await drain.WaitAsync(TimeSpan.FromSeconds(10));

        var warning = Assert.Single(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("3 were still unsent 10s after the end of the broadcast", warning.Message, StringComparison.Ordinal);
        Assert.True(running.IsCompleted);
    }

    [Fact]
    public async Task WhenANotificationWaitedPastMaxLateness_ItIsDropped_AndFreshOnesAreSent()
    {
        var sink = new RecordingNotificationSink();
        var dispatcher = new NotificationDispatcher(sink, _time, _log);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => dispatcher.RunAsync(stop.Token));

        await dispatcher.SendAsync(Beat(1, NotificationDispatcher.MaxLateness + TimeSpan.FromSeconds(1)), CancellationToken.None);
        await dispatcher.SendAsync(Beat(2), CancellationToken.None);
        await dispatcher.DrainAsync(running, stop, TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([2L], sink.Sent.OfType<Heartbeat>().Select(h => h.StoredSegments));
        Assert.DoesNotContain(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task WhenEverySendFails_TheFailureIsWarnedOnce_AndTheRestGoToDebug()
    {
        var sink = new RecordingNotificationSink();
        for (var i = 0; i < 3; i++)
        {
            sink.Failures.Enqueue(new IOException("connection refused"));
        }
        var dispatcher = new NotificationDispatcher(sink, _time, _log);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => dispatcher.RunAsync(stop.Token));

        for (var i = 1; i <= 4; i++)
        {
            await dispatcher.SendAsync(Beat(i), CancellationToken.None);
        }
        await dispatcher.DrainAsync(running, stop, TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(10));

        var records = _log.Collector.GetSnapshot();
        Assert.Single(records, r => r.Level == LogLevel.Warning && r.Message.Contains("are failing", StringComparison.Ordinal));
        Assert.Equal(2, records.Count(r => r.Level == LogLevel.Debug && r.Message.Contains("are failing", StringComparison.Ordinal)));
        Assert.Contains(records, r => r.Level == LogLevel.Information && r.Message.Contains("going out again", StringComparison.Ordinal));
        Assert.Equal([4L], sink.Sent.OfType<Heartbeat>().Select(h => h.StoredSegments));
    }

    /// <summary>Takes the send and never answers, until cancelled.</summary>
    private sealed class SilentSink : INotificationSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? Target => "silent";

        public async Task SendAsync(Notification notification, CancellationToken ct)
        {
            Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }
    }
}
