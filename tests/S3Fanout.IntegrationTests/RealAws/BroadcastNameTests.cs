using System.Globalization;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// Any broadcast name gives a queue SQS accepts (<see cref="SqsTagValuesRule"/>) and, with <c>--filter-policy</c>, a
/// filter policy that SNS matches (<see cref="SnsFilterEscapingRule"/>). The subscriber starts first and polls the manifest only every 30 s, so it
/// finishes in time only by following notifications, and the proxy counts the ones it received.
/// </summary>
[Collection("emulator-fleet")]
public sealed class BroadcastNameTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(25);
    private readonly ReliabilityKit _kit = new(emulator);

    public static TheoryData<string, bool> Names => new()
    {
        { "odd,name#(1)&x", true },
        // 255 characters, then a character outside the BMP (a UTF-16 pair) that a cut at 256 would split.
        { new string('a', 255) + "\U0001F600tail", true },
        { "say \"hi\" \\ bye", true },
        // Only the filter policy: a name SNS cannot match when single-escaped.
        { "say \"hi\" \\ bye", false },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_subscriber_of_any_broadcast_name_gets_its_queue_and_its_notifications(string name, bool tagRule)
    {
        var bucket = await emulator.CreateBucketAsync("names");
        var url = $"s3://{bucket}/{name}";
        var data = new TestData(200_000, seed: 21);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 21);
        if (tagRule)
        {
            proxy.Rules.Add(new SqsTagValuesRule());
        }
        proxy.Rules.Add(new SnsFilterEscapingRule());
        var received = proxy.Rules.Add(new DeliveryCounter());

        // --filter-policy: the name must also give a filter policy SNS matches.
        await using var subscriber = await NotifiedRun.StartSubscribedAsync(_kit, proxy, url, Bound, "--filter-policy");
        await using var publisher = NotifiedRun.StartPublisher(_kit, proxy, url, data);
        var publisherCode = await publisher.WaitForExitAsync(Bound);
        var subscriberCode = await subscriber.WaitForExitAsync(Bound);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{received.Messages} notifications received; refusals: {proxy.Rules}"));

        Assert.True(publisherCode == 0, $"publisher exit {publisherCode}:\n{publisher.StderrTail()}");
        Assert.True(subscriberCode == 0, $"subscriber exit {subscriberCode} ({proxy.Rules}):\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Equal(0, proxy.Rules.Refusals("InvalidParameterValue"));
        Assert.True(received.Messages > 0, "the subscriber received no notification");
    }
}
