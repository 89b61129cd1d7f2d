using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// What the reliability cases share: one publisher and N subscribers, all pointed at a <see cref="FaultProxy"/>
/// with --endpoint-url, and the outcome of such a run for the figures the tests print.
/// </summary>
internal sealed class ReliabilityKit(EmulatorFixture emulator)
{
    public ScenarioKit Scenario { get; } = new(emulator);

    public EmulatorFixture Emulator { get; } = emulator;

    public static string[] Via(FaultProxy proxy, params string[] args) => ["--endpoint-url", proxy.Endpoint.ToString(), .. args];

    /// <summary>
    /// Starts <paramref name="subscribers"/> subscribers and the publisher of <paramref name="data"/> together through
    /// <paramref name="proxy"/>, waits for all of them within <paramref name="bound"/>, and returns what happened.
    /// </summary>
    public async Task<FanOutOutcome> RunFanOutAsync(
        FaultProxy proxy, string url, TestData data, int subscribers, TimeSpan bound, string[] publisherArgs, string[] subscriberArgs)
    {
        var clock = Stopwatch.StartNew();
        var subs = new List<RunningProcess>();
        RunningProcess? publisher = null;
        try
        {
            for (var i = 0; i < subscribers; i++)
            {
                subs.Add(Scenario.StartSubscriber(Via(proxy, [.. subscriberArgs, url])));
            }
            publisher = Scenario.StartPublisher(Via(proxy, [.. publisherArgs, url]), stdin: data.OpenRead());
            var left = bound - clock.Elapsed;
            var publisherCode = await publisher.WaitForExitAsync(left);
            var codes = new List<int>();
            foreach (var s in subs)
            {
                codes.Add(await s.WaitForExitAsync(bound - clock.Elapsed > TimeSpan.FromSeconds(1) ? bound - clock.Elapsed : TimeSpan.FromSeconds(1)));
            }
            return new FanOutOutcome(publisher, subs, publisherCode, codes, clock.Elapsed);
        }
        catch (TimeoutException e) when (publisher is { HasExited: true })
        {
            // A subscriber waiting for a broadcast that never came: the publisher's last words say why.
            var said = $"{e.Message}\npublisher exit {publisher.ExitCode}:\n{publisher.StderrTail()}";
            await DisposeAllAsync(subs, publisher);
            throw new TimeoutException(said, e);
        }
        catch
        {
            await DisposeAllAsync(subs, publisher);
            throw;
        }
    }

    private static async Task DisposeAllAsync(List<RunningProcess> subs, RunningProcess? publisher)
    {
        foreach (var p in subs.Append(publisher))
        {
            if (p is not null)
            {
                await p.DisposeAsync();
            }
        }
    }
}

/// <summary>The processes of one fan-out run, their exit codes and how long it took (dispose to release them).</summary>
internal sealed record FanOutOutcome(RunningProcess Publisher, IReadOnlyList<RunningProcess> Subscribers, int PublisherCode, IReadOnlyList<int> SubscriberCodes, TimeSpan Elapsed) : IAsyncDisposable
{
    public void AssertAllByteIdentical(TestData data, string what)
    {
        Assert.True(PublisherCode == 0, $"{what}: publisher exit {PublisherCode}:\n{Publisher.StderrTail()}");
        for (var i = 0; i < Subscribers.Count; i++)
        {
            var s = Subscribers[i];
            Assert.True(SubscriberCodes[i] == 0, $"{what}: subscriber {i + 1} exit {SubscriberCodes[i]}:\n{s.StderrTail()}");
            Assert.Equal(data.Length, s.StdoutLength);
            Assert.True(data.Sha256 == s.StdoutSha256, $"{what}: subscriber {i + 1} copy differs from the input");
        }
    }

    public string Codes => string.Create(CultureInfo.InvariantCulture, $"publisher {PublisherCode}, subscribers {string.Join(' ', SubscriberCodes)}");

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        foreach (var s in Subscribers)
        {
            await s.DisposeAsync();
        }
    }
}
