using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Archive;

/// <summary>
/// A finished broadcast of 20,000 tiny segments in the emulator, written by <see cref="SyntheticArchive"/> (a log tail
/// of five and a half hours at one flush a second): a late subscriber writes exactly its stream, checked against the
/// <c>.checksums</c> it reads lazily by ranged GETs with If-Match, and verify reports it intact.
/// </summary>
[Collection("emulator")]
public sealed class LongArchiveTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int Segments = 20_000;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task A_late_subscriber_and_verify_read_a_20000_segment_archive_exactly()
    {
        var bucket = await emulator.CreateBucketAsync("long-archive");
        var archive = SyntheticArchive.Of(Segments);
        var clock = Stopwatch.StartNew();
        await archive.WriteAsync(emulator.S3, bucket, "logs/tail", parallel: 32, CancellationToken.None);
        output.WriteLine($"wrote {archive} in {clock.Elapsed.TotalSeconds:F1} s");
        var file = Path.Combine(Path.GetTempPath(), $"long-archive-{Guid.NewGuid():N}");
        try
        {
            clock.Restart();
            await using (var subscriber = _kit.StartSubscriber(["-n", "16", "-o", file, ScenarioKit.Url(bucket, "logs/tail")]))
            {
                var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
                Assert.True(code == 0, $"the subscriber exited {code}:\n{subscriber.StderrTail()}");
            }
            output.WriteLine($"late subscriber: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(SyntheticArchive.Stream(Segments), await File.ReadAllBytesAsync(file));

            clock.Restart();
            await using var verify = _kit.StartSubscriber(["verify", "--json", "-n", "16", ScenarioKit.Url(bucket, "logs/tail")]);
            var verified = await verify.WaitForExitAsync(ScenarioKit.ExitDeadline);
            output.WriteLine($"verify: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(verified == 0, $"verify exited {verified}:\n{verify.StderrTail()}");
            using var doc = JsonDocument.Parse(verify.StdoutText);
            var root = doc.RootElement;
            Assert.True(root.GetProperty("ok").GetBoolean());
            Assert.Equal("checksums", root.GetProperty("checksum_source").GetString());
            Assert.Equal(Segments, root.GetProperty("segments_verified").GetInt64());
            Assert.Equal(archive.StreamSha256, root.GetProperty("stream_sha256_actual").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The index is read lazily, long after it was checked, by ranged GETs with If-Match of the ETag checked
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html: If-Match "return the object only if its
    /// entity tag (ETag) is the same as the one specified in this header; otherwise, return a 412 Precondition Failed
    /// error"): an index replaced meanwhile ends the read with exit 7 instead of mixing two indexes.
    /// </summary>
    [Fact]
    public async Task An_index_replaced_after_it_was_checked_ends_the_read_with_exit_7()
    {
        var bucket = await emulator.CreateBucketAsync("long-replaced");
        await SyntheticArchive.Of(5).WriteAsync(emulator.S3, bucket, "tail", parallel: 5, CancellationToken.None);
        var location = new BroadcastLocation(bucket, "tail");
        var store = new BroadcastStore(emulator.S3, 2, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);
        var index = await store.TryOpenChecksumsAsync(location, CancellationToken.None);
        Assert.Equal(5L, index?.Count);
        using (var unchanged = index!.OpenReader())
        {
            Assert.Equal(5L, await unchanged.CountAsync(CancellationToken.None));
        }

        await _kit.PutBytesAsync(bucket, KeyLayout.ChecksumsKey("tail"), SyntheticArchive.Of(6).Index);
        using var reader = index.OpenReader();
        var e = await Assert.ThrowsAsync<FatalException>(async () => await reader.ReadAsync(CancellationToken.None));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("was replaced or deleted while it was read", e.Message, StringComparison.Ordinal);
    }
}
