using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>Two publishers on one name, kept apart by S3 conditional writes (enforced by the rules layer; fauxqs ignores them).</summary>
[Collection("emulator-reliability")]
public sealed class TwoPublishersTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task WhenTwoPublishersStartTogetherOnOneName_OneWins_TheOtherStopsWithExit3NamingIt_AndSubscribersGetOnlyTheWinnersBytes()
    {
        var bucket = await emulator.CreateBucketAsync("two-publishers");
        var url = ScenarioKit.Url(bucket, "stream");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71)
        {
            // Both destination checks see an empty name: the listings are held 2 s, so both publishers pass them.
            Plan = new FaultPlan { Delay = 1.0, DelayMin = TimeSpan.FromSeconds(2), DelayMax = TimeSpan.FromSeconds(2), Eligible = r => r.Method == "GET" && r.Key.Length == 0 },
        };
        proxy.Rules.Add(new ConditionalWritesRule());
        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "none", "--wait", "60s", url));
        var data = new[] { new TestData(3L * MiB + 11, seed: 72), new TestData(3L * MiB + 22, seed: 73) };

        var publishers = data.Select(d => _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", url), stdin: d.OpenRead())).ToList();
        var codes = new List<int>();
        foreach (var publisher in publishers)
        {
            codes.Add(await publisher.WaitForExitAsync(ScenarioKit.ExitDeadline));
        }

        output.WriteLine($"exit codes {string.Join(", ", codes)}; {proxy.Counts}; rules: {proxy.Rules}");
        Assert.True(codes.Count(c => c == 0) == 1 && codes.Count(c => c == 3) == 1, $"expected one 0 and one 3, got {string.Join(", ", codes)}:\n{string.Join("\n---\n", publishers.Select(p => p.StderrTail()))}");
        var winner = codes.IndexOf(0);
        var loser = publishers[1 - winner];
        var line = ScenarioKit.AssertOneErrorLine(loser, ScenarioKit.Publish);
        Assert.Contains("is being published by another publisher (its upload_began 20", line, StringComparison.Ordinal);
        Assert.True(proxy.Rules.Refusals("PreconditionFailed") >= 1, proxy.Rules.ToString());
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data[winner].Sha256, subscriber.StdoutSha256);
        await using var verify = _kit.Scenario.StartSubscriber(["verify", url]);
        await verify.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        foreach (var publisher in publishers)
        {
            await publisher.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhenTheAnswersToTheFirstManifestAndASegmentAreLost_TheRetriesRecogniseTheirOwnObjects()
    {
        var bucket = await emulator.CreateBucketAsync("lost-answers");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(3L * MiB + 33, seed: 74);
        var first = true;
        var segment = true;
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 74)
        {
            // Stored, then the connection is reset before the answer: the publisher must try again, and S3 refuses that (412).
            Plan = new FaultPlan
            {
                ResetBeforeResponse = 1.0,
                Eligible = r => r.Method == "PUT" && ((r.Key == "stream/.manifest" && Interlocked.Exchange(ref first, false))
                    || (r.Key == "stream/000000000000002" && Interlocked.Exchange(ref segment, false))),
            },
        };
        proxy.Rules.Add(new ConditionalWritesRule());

        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        output.WriteLine($"{proxy.Counts}; rules: {proxy.Rules}");
        Assert.Equal(2, proxy.Counts.Injected(FaultKind.ResetBeforeResponse));
        Assert.Equal(2, proxy.Rules.Refusals("PreconditionFailed"));
        await using var subscriber = _kit.Scenario.StartSubscriber(["--notify", "none", url]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Theory]
    [InlineData("stream/000000000000002")]
    [InlineData("stream/.manifest")]
    [InlineData("stream/.checksums")]
    public async Task WhenAnEndpointStoresAnObjectDamaged_TheNextAttemptOverwritesExactlyThatObject_AndTheCopyIsExact(string key)
    {
        var bucket = await emulator.CreateBucketAsync("damaged-store");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(3L * MiB + 55, seed: 78);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 78);
        var damage = proxy.Rules.Add(new DamagedStoreRule(key));
        proxy.Rules.Add(new ConditionalWritesRule());

        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(1, damage.Damaged);
        await using var subscriber = _kit.Scenario.StartSubscriber(["--notify", "none", url]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task WhenTheEndpointHasNoConditionalWrites_ThePublisherWarnsOnceAndPublishesWithoutThem()
    {
        var bucket = await emulator.CreateBucketAsync("no-conditions");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(2L * MiB + 44, seed: 75);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 75);
        proxy.Rules.Add(new ConditionalWritesRule { Supported = false });

        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(1, proxy.Rules.Refusals("NotImplemented"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(publisher.Stderr, "does not support conditional writes"));
        await using var subscriber = _kit.Scenario.StartSubscriber(["--notify", "none", url]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task WithForce_ABroadcastIsReplacedThroughTheSameConditions()
    {
        var bucket = await emulator.CreateBucketAsync("force-conditions");
        var url = ScenarioKit.Url(bucket, "stream");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 76);
        proxy.Rules.Add(new ConditionalWritesRule());
        await _kit.Scenario.PublishAsync(bucket, "stream", new TestData(3L * MiB, seed: 76), "-m", "1", "--notify", "none");
        var replacement = new TestData(MiB + 5, seed: 77);

        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", "--force", url), stdin: replacement.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(0, proxy.Rules.Refusals("PreconditionFailed"));
        await using var subscriber = _kit.Scenario.StartSubscriber(["--notify", "none", url]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(replacement.Sha256, subscriber.StdoutSha256);
    }
}
