using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// What goes on the wire with each PUT (<c>--checksum</c>), recorded at the proxy, in front of an endpoint that checks
/// checksums as S3 does (<see cref="PutChecksumRule"/>): CRC-64/NVME by default and never Content-MD5; a body damaged
/// on the way refused by it and stored again; s3pipe2 readers still finding each segment's MD5 as its ETag; and
/// Content-MD5 exactly as before with <c>--checksum md5</c>.
/// </summary>
[Collection("emulator-reliability")]
public sealed class WireChecksumTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const string Warning = "returned no CRC-64/NVME";
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task A_default_publish_sends_each_object_s_CRC64_NVME_and_no_Content_MD5()
    {
        var bucket = await emulator.CreateBucketAsync("wire-crc");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        proxy.Rules.Add(new PutChecksumRule());
        var data = new TestData((3L * 1024 * 1024) + 17, seed: 71);

        var publisher = await PublishAsync(proxy, bucket, data);

        var puts = recorder.Puts;
        Log(puts);
        Assert.Contains(puts, p => p.Key == "stream/.checksums");
        Assert.Equal(4, puts.Count(p => p.Key.StartsWith("stream/0", StringComparison.Ordinal)));
        Assert.All(puts, p =>
        {
            Assert.False(p.Has("Content-MD5"), $"{p.Key} was sent with Content-MD5");
            Assert.True(p.Has("x-amz-checksum-crc64nvme"), $"{p.Key} was sent without x-amz-checksum-crc64nvme");
            // The SDK added no checksum of its own (its default would be CRC32), and no trailer.
            Assert.Single(p.Headers.Keys, k => k.StartsWith("x-amz-checksum-", StringComparison.Ordinal));
            Assert.False(p.Has("x-amz-trailer"), $"{p.Key} was sent with a trailer");
        });
        for (var i = 1; i <= 4; i++)
        {
            var key = KeyLayout.SegmentKey("stream", i);
            Assert.Equal(SegmentChecksum.Of(await ReadAsync(bucket, key)), puts.Last(p => p.Key == key).Headers["x-amz-checksum-crc64nvme"]);
        }
        Assert.DoesNotContain(Warning, publisher.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, proxy.Rules.Refusals("BadDigest"));
        await ReadBackAsync(proxy, bucket, data);
    }

    [Fact]
    public async Task A_segment_damaged_on_the_way_is_refused_by_its_CRC64_NVME_and_stored_again_intact()
    {
        var bucket = await emulator.CreateBucketAsync("wire-dmg");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 72);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        var rule = proxy.Rules.Add(new PutChecksumRule { DamageInTransit = id => id == bucket + "/stream/000000000000002" });
        var data = new TestData((3L * 1024 * 1024) + 17, seed: 72);

        await PublishAsync(proxy, bucket, data);

        Log(recorder.Puts);
        Assert.Equal(1, rule.Damaged);
        Assert.Equal(1, proxy.Rules.Refusals("BadDigest"));
        var segmentPuts = recorder.Puts.Where(p => p.Key == "stream/000000000000002").ToList();
        Assert.Equal(2, segmentPuts.Count);
        // Refused by the CRC-64/NVME the client computed, not by a Content-MD5.
        Assert.All(segmentPuts, p => Assert.True(p.Has("x-amz-checksum-crc64nvme") && !p.Has("Content-MD5"), $"{p.Key}: {string.Join(", ", p.Headers.Keys)}"));
        await ReadBackAsync(proxy, bucket, data);
    }

    [Fact]
    public async Task After_a_default_publish_every_segment_s_ETag_is_the_MD5_of_its_bytes_as_s3pipe2_readers_check()
    {
        var bucket = await emulator.CreateBucketAsync("wire-etag");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 73);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        proxy.Rules.Add(new PutChecksumRule());
        var data = new TestData((3L * 1024 * 1024) + 17, seed: 73);

        await PublishAsync(proxy, bucket, data);

        Assert.All(recorder.Puts, p => Assert.False(p.Has("Content-MD5"), $"{p.Key} was sent with Content-MD5"));
        var follow = await new S3pipe2Follower(emulator.S3, bucket, "stream").RunAsync(TimeSpan.FromSeconds(30));
        Assert.False(follow.TimedOut);
        Assert.Equal(4, follow.LastSegment);
        Assert.Equal(data.ToArray(), follow.Output);
        for (var i = 1; i <= 4; i++)
        {
            using var response = await emulator.S3.GetObjectAsync(bucket, KeyLayout.SegmentKey("stream", i));
            using var memory = new MemoryStream();
            await response.ResponseStream.CopyToAsync(memory);
            Assert.Equal(Convert.ToHexStringLower(PutChecksumRule.Md5(memory.ToArray())), response.ETag.Trim('"'));
        }
    }

    [Fact]
    public async Task With_checksum_md5_every_PUT_carries_Content_MD5_and_no_CRC64_NVME_header()
    {
        var bucket = await emulator.CreateBucketAsync("wire-md5");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 74);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        proxy.Rules.Add(new PutChecksumRule());
        var data = new TestData((2L * 1024 * 1024) + 5, seed: 74);

        var publisher = await PublishAsync(proxy, bucket, data, "--checksum", "md5");

        var puts = recorder.Puts;
        Log(puts);
        Assert.Equal(3, puts.Count(p => p.Key.StartsWith("stream/0", StringComparison.Ordinal)));
        Assert.All(puts, p =>
        {
            Assert.True(p.Has("Content-MD5"), $"{p.Key} was sent without Content-MD5");
            Assert.DoesNotContain(p.Headers.Keys, k => k.StartsWith("x-amz-checksum-", StringComparison.Ordinal));
        });
        Assert.DoesNotContain(Warning, publisher.Stderr, StringComparison.Ordinal);
        await ReadBackAsync(proxy, bucket, data);
    }

    [Fact]
    public async Task On_an_endpoint_without_flexible_checksums_the_publisher_falls_back_to_Content_MD5_once_with_one_warning()
    {
        // fauxqs 2.4.1 as it is: it neither checks nor returns a CRC-64/NVME.
        var bucket = await emulator.CreateBucketAsync("wire-fall");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 75);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        var data = new TestData((6L * 1024 * 1024) + 5, seed: 75);

        var publisher = await PublishAsync(proxy, bucket, data, "-n", "1");

        var puts = recorder.Puts;
        Log(puts);
        // One segment at a time: the first PUT carries the CRC, the endpoint answers without one, and every later PUT
        // carries Content-MD5 only.
        Assert.True(puts[0].Has("x-amz-checksum-crc64nvme") && !puts[0].Has("Content-MD5"), string.Join(", ", puts[0].Headers.Keys));
        Assert.All(puts.Skip(1), p => Assert.True(p.Has("Content-MD5") && !p.Has("x-amz-checksum-crc64nvme"), $"{p.Key}: {string.Join(", ", p.Headers.Keys)}"));
        Assert.Single(publisher.Stderr.Split('\n'), l => l.Contains(Warning, StringComparison.Ordinal) && l.Contains("checking ETags as MD5 instead", StringComparison.Ordinal));
        await ReadBackAsync(proxy, bucket, data);
    }

    [Fact]
    public async Task An_unknown_checksum_is_refused_with_one_line_and_exit_2_before_anything_is_read()
    {
        await using var publisher = _kit.StartPublisher(["--checksum", "sha1", "--notify", "none", "s3://no-such-bucket-wire/stream"], stdin: new MemoryStream([1, 2, 3]));
        Assert.Equal(2, await publisher.WaitForExitAsync(ScenarioKit.ExitDeadline));
        var line = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
        Assert.Contains("sha1", line, StringComparison.Ordinal);
        Assert.Contains("crc64nvme", line, StringComparison.Ordinal); // the accepted values are named
    }

    private async Task<RunningProcess> PublishAsync(FaultProxy proxy, string bucket, TestData data, params string[] args)
    {
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, [.. args, "-m", "1", "--notify", "none", ScenarioKit.Url(bucket, "stream")]), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        output.WriteLine(publisher.StderrTail());
        return publisher;
    }

    private async Task ReadBackAsync(FaultProxy proxy, string bucket, TestData data)
    {
        await using var verify = _kit.StartSubscriber(["verify", .. ReliabilityKit.Via(proxy, ScenarioKit.Url(bucket, "stream"))]);
        await verify.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.StartsWith("OK", verify.StdoutText, StringComparison.Ordinal);
        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, ScenarioKit.Url(bucket, "stream")));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    private async Task<byte[]> ReadAsync(string bucket, string key)
    {
        using var response = await emulator.S3.GetObjectAsync(bucket, key);
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory);
        return memory.ToArray();
    }

    private void Log(IReadOnlyList<RecordedPut> puts)
    {
        foreach (var p in puts)
        {
            output.WriteLine($"{p.Key} ({p.BodyLength} bytes): {string.Join(", ", p.Headers.Where(h => h.Key.StartsWith("x-amz-checksum", StringComparison.Ordinal) || h.Key is "content-md5" or "x-amz-sdk-checksum-algorithm").Select(h => h.Key + "=" + h.Value))}");
        }
    }
}
