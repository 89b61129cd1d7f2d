using System.Text.Json;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Assembly;

/// <summary><c>s3fanout-publish --assemble</c>: the live broadcast as usual, and one object once it completes, recorded in the manifest.</summary>
[Collection("emulator")]
public sealed class PublishAssembleTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenThePublisherAssembles_ThreeLiveSubscribersGetTheStreamAndTheManifestNamesTheObject()
    {
        var bucket = await emulator.CreateBucketAsync("publish-assemble");
        var archive = await emulator.CreateBucketAsync("publish-assemble-dest");
        var data = new TestData((13L * MiB) + 77, seed: 1420);
        var url = ScenarioKit.Url(bucket, "live");
        var subscribers = Enumerable.Range(0, 3).Select(_ => _kit.StartSubscriber(["--wait", "60s", url])).ToList();
        try
        {
            await using var publisher = _kit.StartPublisher(["-m", "6", "--assemble", $"s3://{archive}/live.bin", url], stdinPipe: true);
            await using (var source = data.OpenRead())
            {
                await ScenarioKit.FeedAsync(publisher.StandardInput, source, MiB, TimeSpan.FromMilliseconds(50));
            }
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            foreach (var subscriber in subscribers)
            {
                await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }

        using (var response = await emulator.S3.GetObjectAsync(archive, "live.bin"))
        {
            Assert.Equal(data.Sha256, TestData.Sha256Hex(response.ResponseStream));
        }
        var manifest = await _kit.ReadManifestAsync(bucket, "live");
        Assert.Equal($"s3://{archive}/live.bin", manifest["assembled_to"]);
        Assert.Equal(data.Sha256, manifest["assembled_sha256"]);

        await using var info = _kit.StartSubscriber(["info", "--json", url]);
        await info.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        using var doc = JsonDocument.Parse(info.StdoutText);
        Assert.Equal($"s3://{archive}/live.bin", doc.RootElement.GetProperty("assembled_to").GetString());
        await using var ls = _kit.StartSubscriber(["ls", "--json", $"s3://{bucket}/"]);
        await ls.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        using var listed = JsonDocument.Parse(ls.StdoutText);
        Assert.Equal(data.Sha256, listed.RootElement[0].GetProperty("assembled_sha256").GetString());
    }

    [Fact]
    public async Task WhenTheAssembleDestinationExists_ThePublisherRefusesBeforeReadingAnything()
    {
        var bucket = await emulator.CreateBucketAsync("publish-assemble-taken");
        await _kit.PutTextAsync(bucket, "taken.bin", "already here");

        await using var publisher = _kit.StartPublisher(["--notify", "none", "--assemble", $"s3://{bucket}/taken.bin", ScenarioKit.Url(bucket, "b")],
            stdin: new TestData(1000, seed: 1421).OpenRead());
        var code = await publisher.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.Equal(3, code);
        var line = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
        Assert.Contains("already exists", line, StringComparison.Ordinal);
        Assert.Null(await _kit.TryReadTextAsync(bucket, "b/.manifest"));
    }
}
