using System.Security.Cryptography;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Restarts;

/// <summary>A one-shot subscriber writing to a file is killed with SIGKILL and restarted with --resume.</summary>
[Collection("emulator")]
public sealed class OneShotResumeTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenSubscriberIsKilledAndResumed_FileIsByteIdenticalAndContinuesWhereItStopped()
    {
        var bucket = await emulator.CreateBucketAsync("resume");
        var data = new TestData(40L * 1024 * 1024, seed: 4242);
        var url = ScenarioKit.Url(bucket, "resume/stream");
        var dir = Directory.CreateTempSubdirectory("s3fanout-resume-");
        var file = Path.Combine(dir.FullName, "copy.bin");
        try
        {
            await using var publisher = _kit.StartPublisher(["-m", "1", url], stdinPipe: true);
            using var source = data.OpenRead();
            var feeding = ScenarioKit.FeedAsync(publisher.StandardInput, source, 512 * 1024, TimeSpan.FromMilliseconds(40));

            long killedAfter;
            await using (var first = _kit.StartSubscriber(["-n", "2", "-o", file, url]))
            {
                var state = file + ".partial.state";
                var checkpointed = await Poll.ForValueAsync(() =>
                {
                    var m = System.Text.RegularExpressions.Regex.Match(File.Exists(state) ? File.ReadAllText(state) : "", "\"segments\": (\\d+)");
                    return Task.FromResult(m.Success && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 8 ? m.Groups[1].Value : null);
                }, TimeSpan.FromSeconds(60), "the first subscriber to checkpoint 8 segments");
                killedAfter = long.Parse(checkpointed, System.Globalization.CultureInfo.InvariantCulture);
                first.Kill(ProcessSignal.Kill);
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.False(File.Exists(file), "a killed subscriber must not leave FILE as if it were complete");
            Assert.True(File.Exists(file + ".partial"));

            await using var second = _kit.StartSubscriber(["-n", "2", "-v", "--resume", "-o", file, url]);
            await feeding;
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            await second.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

            await using (var copy = File.OpenRead(file))
            {
                Assert.Equal(data.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(copy)));
            }
            Assert.Contains("Resuming", second.Stderr, StringComparison.Ordinal);
            var resumedFrom = System.Text.RegularExpressions.Regex.Match(second.Stderr, @"after segment (\d+)");
            Assert.True(resumedFrom.Success, second.StderrTail());
            var from = long.Parse(resumedFrom.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(from >= killedAfter, $"resumed after segment {from}, but {killedAfter} were checkpointed before the kill");
            // Only the segments after the resume point were written again.
            Assert.DoesNotContain("Wrote segment 1 ", second.Stderr, StringComparison.Ordinal);
            Assert.Contains($"Wrote segment {from + 1} ", second.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(file + ".partial.state"));
            output.WriteLine($"killed after {killedAfter} checkpointed segments; resumed after segment {from}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
