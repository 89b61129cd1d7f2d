using System.Globalization;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>s3pipe2's <c>from</c> following a live S3Fanout broadcast, by its own rule (<see cref="S3pipe2Follower"/>), to its end.</summary>
[Collection("emulator")]
public sealed class S3pipe2FollowTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task An_s3pipe2_reader_following_a_broadcast_whose_producer_pauses_before_EOF_exits_with_the_exact_bytes()
    {
        var bucket = await emulator.CreateBucketAsync("s3pipe2-follow");
        var url = ScenarioKit.Url(bucket, "stream");
        // Two full 1 MiB segments and a partial third, sealed by the flush interval while the producer pauses.
        var data = new TestData(2L * MiB + MiB / 2 + 123, seed: 33);
        await using var publisher = _kit.StartPublisher(["-m", "1", "--flush-interval", "200ms", url], stdinPipe: true);
        await using var source = data.OpenRead();
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero);

        // s3pipe2 refuses to start without a manifest; from here on it follows by its own rule.
        await _kit.WaitForManifestAsync(bucket, "stream", _ => true, "the manifest");
        var follower = new S3pipe2Follower(emulator.S3, bucket, "stream").RunAsync(TimeSpan.FromSeconds(30));
        // S3Fanout's own manifest follower must not lag behind s3pipe2's count.
        await using var subscriber = _kit.StartSubscriber(["--notify", "none", url]);

        // The pause before EOF: every segment is stored and the broadcast is still open.
        IReadOnlyDictionary<string, string> paused;
        try
        {
            paused = await _kit.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) == 3, "all 3 segments stored");
        }
        catch (TimeoutException e)
        {
            // The publisher's log says whether the partial third segment was sealed, stored and announced.
            throw new TimeoutException($"{e.Message} The publisher's log:\n{publisher.Stderr}", e);
        }
        await Poll.UntilAsync(() => subscriber.StdoutLength == data.Length || subscriber.HasExited, TimeSpan.FromSeconds(30),
            "the --notify none subscriber to write every stored byte before EOF");
        Assert.False(subscriber.HasExited, "the subscriber ended before EOF:\n" + subscriber.StderrTail());
        await Task.Delay(TimeSpan.FromSeconds(1)); // the rest of the producer's pause (~3 s in all); the s3pipe2 reader polls meanwhile
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        var result = await follower;
        output.WriteLine($"s3pipe2 rule: timed out {result.TimedOut}, last segment {result.LastSegment}, {result.ManifestsRead} manifest reads, {result.Output.Length} bytes in {result.Elapsed.TotalSeconds:0.0} s");
        Assert.False(result.TimedOut, $"the s3pipe2 reader never exited: it wrote {result.Output.Length} of {data.Length} bytes, through segment {result.LastSegment}");
        Assert.Equal(3, result.LastSegment);
        Assert.Equal(data.Sha256, TestData.Sha256Hex(new MemoryStream(result.Output)));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        // Why it could: while open, s3pipe2's keys stayed one segment behind what S3Fanout's own keys said was stored.
        Assert.Equal("false", paused["completed"]);
        Assert.Equal(("2", (2L * MiB).ToString(CultureInfo.InvariantCulture)), (paused["num_segments"], paused["total_size"]));
        Assert.Equal(data.Length.ToString(CultureInfo.InvariantCulture), paused["stored_bytes"]);
        var done = await _kit.ReadManifestAsync(bucket, "stream");
        Assert.Equal(("true", "3", "3"), (done["completed"], done["num_segments"], done["stored_segments"]));
    }
}
