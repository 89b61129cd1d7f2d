using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>One publisher, five subscribers joining before, during and after the broadcast.</summary>
[Collection("emulator")]
public sealed class FanOutTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int SegmentMiB = 4;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Five_subscribers_before_during_and_after_all_receive_the_exact_stream_and_leave_no_queues()
    {
        var bucket = await emulator.CreateBucketAsync("fanout");
        var url = ScenarioKit.Url(bucket, "big.bin");
        var data = new TestData(64L * 1024 * 1024, seed: 64);
        var subscribers = new List<(string When, RunningProcess Process)>();
        string[] subscriberArgs = ["--poll-interval", "1s", "--stall-timeout", "30s", url];
        RunningProcess StartSubscriber(string when)
        {
            var process = _kit.StartSubscriber(subscriberArgs, stdout: Stream.Null);
            subscribers.Add((when, process));
            return process;
        }

        try
        {
            // Two subscribers before the broadcast exists; wait for their queues so they are really listening.
            StartSubscriber("before #1");
            StartSubscriber("before #2");
            await _kit.WaitForSubscriberQueuesAsync(bucket, 2);

            await using var publisher = _kit.StartPublisher(["-m", SegmentMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), url], stdinPipe: true);
            await using var source = data.OpenRead();

            // First three segments' worth, then hold the rest back until two more subscribers joined mid-stream.
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, 1 << 20, TimeSpan.Zero, maxBytes: 3L * SegmentMiB * 1024 * 1024);
            var open = await _kit.WaitForManifestAsync(bucket, "big.bin", m => ScenarioKit.NumSegments(m) >= 2, "num_segments >= 2");
            Assert.Equal("false", open["completed"]);
            Assert.Equal("open", open["state"]);

            StartSubscriber("during #1");
            StartSubscriber("during #2");
            await _kit.WaitForSubscriberQueuesAsync(bucket, 4);
            var midManifest = await _kit.ReadManifestAsync(bucket, "big.bin");
            Assert.Equal("open", midManifest["state"]);

            // The rest, in 1 MiB chunks with short pauses, then EOF.
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, 1 << 20, TimeSpan.FromMilliseconds(20));
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            var done = await _kit.ReadManifestAsync(bucket, "big.bin");
            Assert.Equal("true", done["completed"]);

            StartSubscriber("after");

            foreach (var (when, process) in subscribers)
            {
                await process.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                Assert.True(data.Length == process.StdoutLength, $"subscriber started {when} wrote {process.StdoutLength} of {data.Length} bytes");
                Assert.True(data.Sha256 == process.StdoutSha256, $"subscriber started {when}: SHA-256 {process.StdoutSha256} differs from the input's {data.Sha256}");
                ScenarioKit.AssertNoStackTrace(process.Stderr, when);
                output.WriteLine($"subscriber {when}: {process.StdoutLength} bytes, exit 0 after {process.Elapsed.TotalSeconds:0.0} s");
            }

            var leftover = await _kit.ListSubscriberQueuesAsync(bucket);
            Assert.True(leftover.Count == 0, "subscriber queues left behind: " + string.Join(", ", leftover));
        }
        finally
        {
            foreach (var (_, process) in subscribers)
            {
                await process.DisposeAsync();
            }
        }
    }
}
