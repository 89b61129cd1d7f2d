using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// An S3-compatible endpoint that answers a GET with an ETag that is no hex digest: s3rver gave <c>""</c> for a
/// manifest it was replacing at that moment. The AWS SDK reads a whole-object GET's ETag as hex to check the body's MD5
/// against it, and throws ArgumentOutOfRangeException for an empty or odd-length one before the body is read.
/// </summary>
[Collection("emulator-reliability")]
public sealed class EtagAnswerTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"abc\"")]
    public async Task WhenAManifestAnswerHasAnETagThatIsNoHexDigest_TheReadIsTriedAgainAndEveryByteArrives(string etag)
    {
        var bucket = await emulator.CreateBucketAsync("etag-once");
        var data = new TestData(2L * MiB + 5, seed: 81);
        await _kit.PublishAsync(bucket, "b", data, "-m", "1", "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 81);
        var rule = proxy.Rules.Add(new BadEtagRule("b/.manifest", etag, times: 1));

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "none", ScenarioKit.Url(bucket, "b")));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(1, rule.Given);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task WhenEveryManifestAnswerHasAnEmptyETag_TheSubscriberEndsWithExit6AndOneLineAfterItsTries()
    {
        var bucket = await emulator.CreateBucketAsync("etag-always");
        await _kit.PublishAsync(bucket, "b", new TestData(MiB, seed: 82), "-m", "1", "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 82);
        var rule = proxy.Rules.Add(new BadEtagRule("b/.manifest", "\"\"", times: int.MaxValue));

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "none", "-t", "2", ScenarioKit.Url(bucket, "b")));
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.True(code == 6, $"exit {code}, expected 6:\n{subscriber.Stderr}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.True(line.Contains(".manifest", StringComparison.Ordinal) && line.Contains("ETag", StringComparison.Ordinal), line);
        Assert.True(rule.Given >= 2, $"{rule.Given} answers with the bad ETag");
        Assert.Equal(0, subscriber.StdoutLength);
    }

    /// <summary>Replaces the ETag of the first <paramref name="times"/> successful GETs of <paramref name="key"/>.</summary>
    private sealed class BadEtagRule(string key, string etag, int times) : AwsRule
    {
        private readonly Lock _gate = new();

        public int Given { get; private set; }

        public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
        {
            lock (_gate)
            {
                if (request.Operation == "GET" && request.Key == key && answer.Status == 200 && Given < times)
                {
                    Given++;
                    answer.Head.Set("ETag", etag);
                }
            }
            return answer;
        }
    }
}
