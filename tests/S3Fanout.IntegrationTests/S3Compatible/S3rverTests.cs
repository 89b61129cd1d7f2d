using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.S3Compatible;

/// <summary>
/// Every S3-only path (<c>--notify none</c>) against s3rver, an S3 implementation that checks signatures and stores
/// exactly the bytes it receives: publish (also with <c>--force</c>); subscribers before, during and after the broadcast;
/// <c>-o</c> with <c>--resume</c>; <c>ls</c>, <c>info</c>, <c>verify</c>, <c>rm</c>; and the store's listing that jumps with StartAfter.
/// </summary>
[Collection("s3rver")]
public sealed partial class S3rverTests(S3rverFixture s3rver, ITestOutputHelper output)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task CompletedBroadcast_IsReadBackVerifiedListedAndRemoved()
    {
        var bucket = await s3rver.CreateBucketAsync("done");
        var data = new TestData(3_000_000, seed: 81);
        var url = $"s3://{bucket}/runs/done";
        await RunAsync(Publish(["--notify", "none", "-m", "1", url], data));

        var verify = await RunAsync(Subscribe(["verify", url]));
        Assert.StartsWith("OK ", verify.StdoutText, StringComparison.Ordinal);
        // Stored as sent: no aws-chunked framing inside the text objects.
        var checksums = await ReadTextAsync(bucket, "runs/done/.checksums");
        Assert.StartsWith("# s3fanout checksums", checksums, StringComparison.Ordinal);
        Assert.DoesNotContain("chunk-signature", checksums, StringComparison.Ordinal);
        Assert.StartsWith("[s3pipe2]", await ReadTextAsync(bucket, "runs/done/.manifest"), StringComparison.Ordinal);
        var after = await RunAsync(Subscribe([url]));
        Assert.Equal(data.Sha256, after.StdoutSha256);

        // --force deletes the old broadcast (LIST, DeleteObjects) before publishing again.
        await RunAsync(Publish(["--notify", "none", "-m", "1", "--force", url], new TestData(2_500_000, seed: 84)));
        var ls = await RunAsync(Subscribe(["ls", $"s3://{bucket}/runs/"]));
        Assert.Matches(@"(?m)^runs/done\s+complete\s", ls.StdoutText);
        var info = await RunAsync(Subscribe(["info", url]));
        Assert.Matches(@"(?m)^size:\s+2,500,000 bytes", info.StdoutText);

        var rm = await RunAsync(Subscribe(["rm", "--yes", url]));
        Assert.Contains("5 objects, 3 segments", rm.StdoutText, StringComparison.Ordinal);
        var left = await s3rver.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "runs/" });
        Assert.Empty(left.S3Objects ?? []);
    }

    [Fact]
    public async Task LiveBroadcast_SubscribersBeforeDuringAndAResumedFile_GetIdenticalBytes()
    {
        var bucket = await s3rver.CreateBucketAsync("live");
        var data = new TestData(12L * 1024 * 1024, seed: 82);
        var url = $"s3://{bucket}/live";
        var dir = Directory.CreateTempSubdirectory("s3fanout-s3rver-");
        var file = Path.Combine(dir.FullName, "copy.bin");
        try
        {
            await using var before = Subscribe(["--notify", "none", "--wait", "60s", url]);
            await using var publisher = ProcessRunner.StartPublisher(["--notify", "none", "-m", "1", url], Options(pipe: true));
            using var source = data.OpenRead();
            var feeding = FeedAsync(publisher.StandardInput, source);

            await Poll.UntilAsync(async () => await SegmentsAsync(bucket, "live/") >= 2, s_deadline, "two segments of the live broadcast");
            await using var during = Subscribe([url]);

            long killedAfter;
            await using (var first = Subscribe(["-n", "2", "-o", file, url]))
            {
                var state = file + ".partial.state";
                var checkpointed = await Poll.ForValueAsync(() =>
                {
                    var m = CheckpointPattern().Match(File.Exists(state) ? File.ReadAllText(state) : "");
                    return Task.FromResult(m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= 3 ? m.Groups[1].Value : null);
                }, s_deadline, "the -o subscriber to checkpoint 3 segments");
                killedAfter = long.Parse(checkpointed, CultureInfo.InvariantCulture);
                first.Kill(ProcessSignal.Kill);
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            await using var resumed = Subscribe(["-n", "2", "-v", "--resume", "-o", file, url]);

            await feeding;
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(s_deadline, 0);
            foreach (var subscriber in new[] { before, during, resumed })
            {
                await subscriber.EnsureExitCodeAsync(s_deadline, 0);
            }
            Assert.Equal(data.Sha256, before.StdoutSha256);
            Assert.Equal(data.Sha256, during.StdoutSha256);
            await using (var copy = File.OpenRead(file))
            {
                Assert.Equal(data.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(copy)));
            }
            var resumedFrom = ResumePattern().Match(resumed.Stderr);
            Assert.True(resumedFrom.Success, resumed.StderrTail());
            Assert.True(long.Parse(resumedFrom.Groups[1].Value, CultureInfo.InvariantCulture) >= killedAfter, resumed.StderrTail());
            output.WriteLine($"-o subscriber killed after {killedAfter} checkpointed segments; {resumedFrom.Value}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StoreListing_JumpsPastSegmentsWithStartAfter_AndSegmentsKeepTheirMetadata()
    {
        var bucket = await s3rver.CreateBucketAsync("list");
        foreach (var name in new[] { "p/a", "p/b" })
        {
            await RunAsync(Publish(["--notify", "none", "-m", "1", $"s3://{bucket}/{name}"], new TestData(4L * 1024 * 1024 + 1, seed: 83)));
        }
        using var aws = AwsConnection.Open(new AwsSettings
        {
            EndpointUrl = s3rver.Endpoint,
            Region = EmulatorFixture.DefaultRegion,
            AccessKey = S3rverFixture.AccessKey,
            SecretKey = S3rverFixture.SecretKey,
        });
        // Two keys a page: each manifest page ends inside that broadcast's segments, so the listing jumps with StartAfter.
        var store = new BroadcastStore(aws.S3, 1, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance, pageSize: 2);
        var found = await store.FindAsync(bucket, "p/", CancellationToken.None);
        Assert.Equal(["p/a", "p/b"], found.Select(f => f.Name));
        var keys = await store.ListKeysAsync(new BroadcastLocation(bucket, "p/a"), withOthers: true, CancellationToken.None);
        Assert.Equal(5, keys.Segments.Count);

        var head = await s3rver.S3.GetObjectMetadataAsync(bucket, KeyLayout.SegmentKey("p/a", 2));
        Assert.Equal("1048576", head.Metadata[MetadataNames.Offset]);
        Assert.False(string.IsNullOrEmpty(head.Metadata[MetadataNames.Checksum]));
    }

    private RunningProcess Publish(IEnumerable<string> args, TestData data) => ProcessRunner.StartPublisher(args, Options(data.OpenRead()));

    private RunningProcess Subscribe(IEnumerable<string> args) => ProcessRunner.StartSubscriber(args, Options());

    private ProcessOptions Options(Stream? stdin = null, bool pipe = false) => new() { Environment = s3rver.ChildEnvironment, Stdin = stdin, StdinPipe = pipe };

    private static async Task<RunningProcess> RunAsync(RunningProcess process)
    {
        await using (process)
        {
            await process.EnsureExitCodeAsync(s_deadline, 0);
        }
        return process;
    }

    private async Task<string> ReadTextAsync(string bucket, string key)
    {
        using var response = await s3rver.S3.GetObjectAsync(bucket, key);
        using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private async Task<int> SegmentsAsync(string bucket, string prefix)
    {
        var page = await s3rver.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "0" });
        return page.S3Objects?.Count ?? 0;
    }

    /// <summary>About 5 s of stream: 256 KiB every 100 ms, so subscribers join while it runs.</summary>
    private static async Task FeedAsync(Stream stdin, Stream source)
    {
        var buffer = new byte[256 * 1024];
        int n;
        while ((n = await source.ReadAsync(buffer)) > 0)
        {
            await stdin.WriteAsync(buffer.AsMemory(0, n));
            await stdin.FlushAsync();
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("\"segments\": (\\d+)")]
    private static partial Regex CheckpointPattern();

    [GeneratedRegex(@"after segment (\d+)")]
    private static partial Regex ResumePattern();
}
