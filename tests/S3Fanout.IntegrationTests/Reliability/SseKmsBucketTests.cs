using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Buckets encrypted with SSE-KMS (<see cref="DefaultKmsEncryptionRule"/>): their ETags are not MD5s, so whether an
/// ETag is checked follows S3's answer, not --sse; and a bucket policy that requires one KMS key sees that key on every
/// object the publisher writes.
/// </summary>
[Collection("emulator")]
public sealed class SseKmsBucketTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const string BucketKey = "arn:aws:kms:us-east-1:000000000000:key/bucket-default";
    private const string ChosenKey = "arn:aws:kms:us-east-1:000000000000:key/chosen-for-the-broadcast";
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task A_broadcast_published_without_sse_into_a_bucket_with_SSE_KMS_default_encryption_is_stored_and_read_back()
    {
        var bucket = await emulator.CreateBucketAsync("kms-default");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData((2L * 1024 * 1024) + 3, seed: 61);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 61);
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));

        await using (var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--notify", "none", url), stdin: data.OpenRead()))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        Log(rule);
        Assert.Equal(BucketKey, rule.Written["stream/000000000000001"]);

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, url));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task An_s3pipe2_archive_in_a_bucket_with_SSE_KMS_default_encryption_is_read_back_byte_for_byte()
    {
        const int segmentBytes = 1_000_000; // s3pipe2 -m 1
        var bucket = await emulator.CreateBucketAsync("kms-s3pipe2");
        var data = new TestData((2 * segmentBytes) + 4321, seed: 62);
        var count = (int)((data.Length + segmentBytes - 1) / segmentBytes);
        for (var i = 1; i <= count; i++)
        {
            var offset = (long)(i - 1) * segmentBytes;
            await _kit.PutBytesAsync(bucket, $"archive/{i.ToString("D15", CultureInfo.InvariantCulture)}", data.Slice(offset, (int)Math.Min(segmentBytes, data.Length - offset)));
        }
        await _kit.PutTextAsync(bucket, "archive/.manifest",
            "[s3pipe2]\nversion = 0.1\nsegment_size = 1\nupload_began = 2019-03-14T15:09:26.535897\ncompleted = true\n" +
            $"num_segments = {count.ToString(CultureInfo.InvariantCulture)}\ntotal_size = {data.Length.ToString(CultureInfo.InvariantCulture)}\n" +
            "upload_ended = 2019-03-14T15:09:31.979323\n\n");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 62);
        proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        var segmentGets = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Method == "GET" && r.Key.StartsWith("archive/0", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref segmentGets);
            }
        };

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--wait", "5s", ScenarioKit.Url(bucket, "archive")));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.True(segmentGets >= count, $"{segmentGets} segment GETs went through the rule for {count} segments");
    }

    [Fact]
    public async Task With_sse_aws_kms_and_a_key_every_object_is_written_with_that_key_under_a_policy_that_requires_it()
    {
        var bucket = await emulator.CreateBucketAsync("kms-policy");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData((2L * 1024 * 1024) + 5, seed: 63);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 63);
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey) { RequiredKeyId = ChosenKey });

        await using (var publisher = _kit.StartPublisher(
            ReliabilityKit.Via(proxy, "--sse", "aws:kms", "--sse-kms-key-id", ChosenKey, "-m", "1", "--notify", "none", url), stdin: data.OpenRead()))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        Log(rule);
        Assert.Equal(0, proxy.Rules.Refusals("AccessDenied"));
        Assert.Equal(["stream/.checksums", "stream/.manifest", "stream/000000000000001", "stream/000000000000002", "stream/000000000000003"],
            rule.Written.Keys.Order(StringComparer.Ordinal));
        Assert.All(rule.Written, w => Assert.Equal(ChosenKey, w.Value));

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, url));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    private void Log(DefaultKmsEncryptionRule rule)
    {
        foreach (var (key, kmsKey) in rule.Written.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{key}: {kmsKey}");
        }
    }
}
