using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// Every role creates the bucket's topic with the same request, so on SNS, which refuses a CreateTopic of an existing
/// name with other tags (<see cref="TopicTagsRule"/>), whoever comes first does not lock the others out.
/// </summary>
[Collection("emulator-fleet")]
public sealed class TopicCreationTests(EmulatorFixture emulator)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task A_publisher_after_a_subscriber_opens_the_same_topic_and_the_subscriber_follows()
    {
        var bucket = await emulator.CreateBucketAsync("topic-first");
        var url = $"s3://{bucket}/stream";
        var data = new TestData(300_000, seed: 11);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 11);
        proxy.Rules.Add(new TopicTagsRule());
        var subscribes = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Operation == "Subscribe")
            {
                Interlocked.Increment(ref subscribes);
            }
        };

        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--wait", "60s", url));
        await Poll.UntilAsync(() => Volatile.Read(ref subscribes) > 0, Bound, "the subscriber's Subscribe");
        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, url), stdin: data.OpenRead());
        var publisherCode = await publisher.WaitForExitAsync(Bound);
        var subscriberCode = await subscriber.WaitForExitAsync(Bound);

        Assert.True(publisherCode == 0, $"publisher exit {publisherCode} ({proxy.Rules}):\n{publisher.StderrTail()}");
        Assert.True(subscriberCode == 0, $"subscriber exit {subscriberCode}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Equal(0, proxy.Rules.Refusals("InvalidParameter"));
    }
}
