using System.Security.Cryptography;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Progress;

/// <summary>Live progress on a real pseudo-terminal (util-linux <c>script</c>), and never in the data stream.</summary>
[Collection("emulator")]
public sealed class ProgressDisplayTests(EmulatorFixture emulator)
{
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenStderrIsATerminal_BothSidesDrawLiveProgressAndTheDataIsIntact()
    {
        var bucket = await emulator.CreateBucketAsync("progress-tty");
        var dir = Directory.CreateTempSubdirectory("s3fanout-progress-");
        try
        {
            var data = new TestData(24L * 1024 * 1024, seed: 24);
            var input = Path.Combine(dir.FullName, "in.bin");
            var copy = Path.Combine(dir.FullName, "copy.bin");
            await data.WriteToFileAsync(input);
            var url = ScenarioKit.Url(bucket, "tty");

            await using (var publisher = _kit.StartInTerminal($"cat {ScenarioKit.ShellQuote(input)} | {ScenarioKit.ShellCommand(RepoPaths.PublisherDll, "-m", "2", url)}"))
            {
                await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                var screen = ScenarioKit.StripTerminal(publisher.StdoutText);
                Assert.Contains("published 24.0 MiB, 12 segments", screen, StringComparison.Ordinal);
            }
            await using (var subscriber = _kit.StartInTerminal(ScenarioKit.ShellCommand(RepoPaths.SubscriberDll, "-o", copy, url)))
            {
                await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                var screen = ScenarioKit.StripTerminal(subscriber.StdoutText);
                Assert.Contains("received 24.0 MiB, 12 segments", screen, StringComparison.Ordinal);
                Assert.Contains("0 behind the publisher", screen, StringComparison.Ordinal);
            }
            await using var file = File.OpenRead(copy);
            Assert.Equal(data.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task WhenProgressIsAskedForWithoutATerminal_PlainLinesGoToStderrAndStdoutStaysPureData()
    {
        var bucket = await emulator.CreateBucketAsync("progress-plain");
        var url = ScenarioKit.Url(bucket, "plain");
        var data = new TestData(3L * 1024 * 1024, seed: 3);
        await using var publisher = _kit.StartPublisher(["--progress", "-m", "1", url], stdinPipe: true);
        await using var subscriber = _kit.StartSubscriber(["--progress", url]);
        using var source = data.OpenRead();
        // Slow enough to span more than one 5-second report.
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.FromMilliseconds(600));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Contains("published ", publisher.Stderr, StringComparison.Ordinal);
        Assert.Contains(" MiB/s", publisher.Stderr, StringComparison.Ordinal);
        Assert.Contains("received ", subscriber.Stderr, StringComparison.Ordinal);
        Assert.Contains("behind the publisher", subscriber.Stderr, StringComparison.Ordinal);
    }
}
