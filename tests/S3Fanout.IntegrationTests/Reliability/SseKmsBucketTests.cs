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
[Collection("emulator-reliability")]
public sealed class SseKmsBucketTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const string BucketKey = "arn:aws:kms:us-east-1:000000000000:key/bucket-default";
    private const string ChosenKey = "arn:aws:kms:us-east-1:000000000000:key/chosen-for-the-broadcast";
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task A_broadcast_published_without_sse_into_a_bucket_with_SSE_KMS_default_encryption_is_stored_and_read_back()
    {
        var bucket = await emulator.CreateBucketAsync("kms-default");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 61);
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));

        await PublishAndReadBackAsync(proxy, rule, ScenarioKit.Url(bucket, "stream"));
        Assert.Equal(BucketKey, rule.Written["stream/000000000000001"]);
    }

    [Fact]
    public async Task An_s3pipe2_archive_in_a_bucket_with_SSE_KMS_default_encryption_is_read_back_byte_for_byte()
    {
        var bucket = await emulator.CreateBucketAsync("kms-s3pipe2");
        var data = new TestData((2 * ArchiveCompatibilityTests.S3pipe2SegmentBytes) + 4321, seed: 62);
        const int count = 3;
        for (var i = 1; i <= count; i++)
        {
            await ArchiveCompatibilityTests.PutS3pipe2SegmentAsync(_kit, bucket, "archive", data, i);
        }
        await _kit.PutTextAsync(bucket, "archive/.manifest", ArchiveCompatibilityTests.S3pipe2Manifest(completed: true, numSegments: count, totalSize: data.Length));
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
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 63);
        proxy.Rules.Add(new RequireSseRule(bucket) { RequiredKeyId = ChosenKey });
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));

        await PublishAndReadBackAsync(proxy, rule, ScenarioKit.Url(bucket, "stream"), "--sse", "aws:kms", "--sse-kms-key-id", ChosenKey);
        Assert.Equal(0, proxy.Rules.Refusals("AccessDenied"));
        Assert.Equal(["stream/.checksums", "stream/.manifest", "stream/000000000000001", "stream/000000000000002", "stream/000000000000003"],
            rule.Written.Keys.Order(StringComparer.Ordinal));
        Assert.All(rule.Written, w => Assert.Equal(ChosenKey, w.Value));
    }

    [Fact]
    public async Task A_KMS_answer_whose_CRC64_is_not_the_segment_s_makes_the_publisher_store_the_segment_again()
    {
        var bucket = await emulator.CreateBucketAsync("kms-crc");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 64);
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        var flip = proxy.Rules.Add(new FlipFirstChecksum("stream/000000000000001"));
        var segmentPuts = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Method == "PUT" && r.Key == "stream/000000000000001")
            {
                Interlocked.Increment(ref segmentPuts);
            }
        };

        // --sse aws:kms: the ETag is no MD5 in any case, so only the returned checksum can tell.
        await PublishAndReadBackAsync(proxy, rule, ScenarioKit.Url(bucket, "stream"), "--sse", "aws:kms");
        output.WriteLine($"segment 1 was PUT {segmentPuts} times; the first answer's CRC64/NVME was {flip.Flipped}");
        Assert.NotNull(flip.Flipped);
        Assert.Equal(2, segmentPuts);
    }

    /// <summary>Publishes 2 MiB + 3 bytes in 1 MiB segments through the proxy, logs the keys the rule saw, and reads the broadcast back.</summary>
    private async Task PublishAndReadBackAsync(FaultProxy proxy, DefaultKmsEncryptionRule rule, string url, params string[] publisherArgs)
    {
        var data = new TestData((2L * 1024 * 1024) + 3, seed: 61);
        await using (var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, [.. publisherArgs, "-m", "1", "--notify", "none", url]), stdin: data.OpenRead()))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        foreach (var (key, kmsKey) in rule.Written.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{key}: {kmsKey}");
        }
        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, url));
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    /// <summary>A fault, not an AWS behaviour: the first PutObject answer for one key reports another CRC-64/NVME.</summary>
    private sealed class FlipFirstChecksum(string key) : AwsRule
    {
        public string? Flipped { get; private set; }

        public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
        {
            if (request.Operation == "PUT" && request.Key == key && Flipped is null && answer.Head.Get("x-amz-checksum-crc64nvme") is { } crc)
            {
                Flipped = crc;
                answer.Head.Set("x-amz-checksum-crc64nvme", Convert.ToBase64String(new byte[8]));
            }
            return answer;
        }
    }
}
