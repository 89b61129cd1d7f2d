using System.Globalization;
using System.Text.Json;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.Archive;

/// <summary>
/// What <c>ls</c>, <c>info</c> and <c>rm</c> gain from sharing one store: nested broadcasts whose name starts with a
/// digit are listed, and a failed manifest or listing request is tried again (-t) instead of ending the command.
/// </summary>
[Collection("emulator")]
public sealed class ArchiveStoreScenarioTests(EmulatorFixture emulator)
{
    private const int FailedRequestsPerAttempt = BroadcastStoreTests.FailedRequestsPerAttempt;

    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenANestedBroadcastNameStartsWithADigit_LsShowsIt()
    {
        var bucket = await emulator.CreateBucketAsync("ls-digit");
        await _kit.PublishAsync(bucket, "daily", new TestData(2L * 1024 * 1024, seed: 31), "-m", "1", "--notify", "none");
        await _kit.PublishAsync(bucket, "daily/2026-12-01", new TestData(10, seed: 32), "--notify", "none");
        // Past a page of segments: found only after the listing skipped them.
        const int Segments = 1001;
        await Parallel.ForEachAsync(Enumerable.Range(1, Segments), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await _kit.PutBytesAsync(bucket, $"many/{i.ToString("D15", CultureInfo.InvariantCulture)}", [(byte)'x']));
        await _kit.PutTextAsync(bucket, "many/.manifest",
            $"[s3pipe2]\nversion = 0.1\nsegment_size = 1\ncompleted = true\nnum_segments = {Segments}\ntotal_size = {Segments}\n");
        await _kit.PublishAsync(bucket, "many/7", new TestData(10, seed: 33), "--notify", "none");

        await using var ls = _kit.StartSubscriber(["ls", "--json", $"s3://{bucket}/"]);
        await ls.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        using var doc = JsonDocument.Parse(ls.StdoutText);
        Assert.Equal(["daily", "daily/2026-12-01", "many", "many/7"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task WhenManifestReadsFailForAWhile_LsAndInfoTryAgainAndSucceed()
    {
        var bucket = await emulator.CreateBucketAsync("ls-retry");
        await _kit.PublishAsync(bucket, "logs/app", new TestData(1000, seed: 34), "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 34);

        foreach (var command in new[] { "ls", "info" })
        {
            var failed = 0;
            proxy.Plan = new FaultPlan
            {
                Error500 = 1,
                Eligible = r => r.Method is "GET" or "HEAD" && r.Key.StartsWith("logs/app/.", StringComparison.Ordinal)
                    && Interlocked.Increment(ref failed) <= FailedRequestsPerAttempt,
            };
            var url = command == "ls" ? $"s3://{bucket}/logs/" : $"s3://{bucket}/logs/app";
            await using var process = _kit.StartSubscriber([command, .. ReliabilityKit.Via(proxy, "--json", "-t", "3", url)]);
            var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);

            Assert.True(code == 0, $"{command} exit {code}:\n{process.StderrTail()}");
            Assert.Contains($"s3://{bucket}/logs/app", process.StdoutText, StringComparison.Ordinal);
            Assert.Contains("\"complete\"", process.StdoutText, StringComparison.Ordinal);
        }
        Assert.Equal(2 * FailedRequestsPerAttempt, proxy.Counts.Injected(FaultKind.Error500));
    }

    [Fact]
    public async Task WhenAListingFailsForAWhile_RmTriesAgainAndDeletesTheBroadcast()
    {
        var bucket = await emulator.CreateBucketAsync("rm-retry");
        await _kit.PublishAsync(bucket, "old", new TestData(1000, seed: 35), "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 35);
        var failed = 0;
        proxy.Plan = new FaultPlan
        {
            Error500 = 1,
            Eligible = r => r.Method == "GET" && r.Target.Contains("list-type=2", StringComparison.Ordinal) && Interlocked.Increment(ref failed) <= FailedRequestsPerAttempt,
        };

        await using var rm = _kit.StartSubscriber(["rm", .. ReliabilityKit.Via(proxy, "--yes", "-t", "3", $"s3://{bucket}/old")]);
        await rm.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(FailedRequestsPerAttempt, proxy.Counts.Injected(FaultKind.Error500));
        Assert.Empty(await _kit.ListAsync(bucket, "old/"));
    }
}
