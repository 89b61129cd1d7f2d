using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>
/// The PutObject checksum rule: S3 verifies <c>x-amz-checksum-crc64nvme</c> and Content-MD5 before it stores anything
/// (400 BadDigest) and answers with the object's CRC-64/NVME; fauxqs 2.4.1 does neither. And the header recorder.
/// </summary>
[Collection("emulator")]
public sealed class PutChecksumRuleTests(EmulatorFixture emulator)
{
    private static readonly byte[] Body = new TestData(200_000, seed: 31).ToArray();
    private static readonly string WrongCrc = SegmentChecksum.Of([1, 2, 3]);

    [Fact]
    public async Task WithoutTheRule_TheEmulatorStoresAWrongCrc64Nvme_AndAnswersWithoutOne()
    {
        // Why the rule exists: were this to fail, the emulator would have learnt flexible checksums itself.
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 31);
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("crcput-off");

        var answer = await PutAsync(s3, bucket, crc: WrongCrc);

        Assert.True(string.IsNullOrEmpty(answer.ChecksumCRC64NVME), $"the emulator answered {answer.ChecksumCRC64NVME}");
        Assert.Equal(Body, await ReadAsync(bucket));
    }

    [Fact]
    public async Task WithTheRule_AWrongCrc64NvmeIsRefusedWithBadDigest_AndNothingIsStored()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 32);
        proxy.Rules.Add(new PutChecksumRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("crcput-bad");

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => PutAsync(s3, bucket, crc: WrongCrc));

        Assert.Equal("BadDigest", refused.ErrorCode);
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal(1, proxy.Rules.Refusals("BadDigest"));
        Assert.False(await ExistsAsync(bucket));
    }

    [Fact]
    public async Task WithTheRule_TheRightCrc64NvmeIsStored_AndEchoedAsAFullObjectChecksum()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 33);
        proxy.Rules.Add(new PutChecksumRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("crcput-ok");

        var answer = await PutAsync(s3, bucket, crc: SegmentChecksum.Of(Body));

        Assert.Equal(SegmentChecksum.Of(Body), answer.ChecksumCRC64NVME);
        Assert.Equal(ChecksumType.FULL_OBJECT, answer.ChecksumType);
        Assert.Equal(Body, await ReadAsync(bucket));
    }

    [Fact]
    public async Task WithTheRule_AWrongContentMd5IsRefusedWithBadDigest_AndTheRightOneStoresWithTheDefaultCrc()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 34);
        proxy.Rules.Add(new PutChecksumRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("md5put");

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => PutAsync(s3, bucket, md5: PutChecksumRule.Md5([1, 2, 3])));
        var answer = await PutAsync(s3, bucket, md5: PutChecksumRule.Md5(Body));

        Assert.Equal("BadDigest", refused.ErrorCode);
        // Uploaded without a checksum header: S3 adds CRC-64/NVME by default and answers with it.
        Assert.Equal(SegmentChecksum.Of(Body), answer.ChecksumCRC64NVME);
    }

    [Fact]
    public async Task DamagedInTransit_TheFirstPutIsRefusedByItsCrc_AndTheSecondIsStoredIntact()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 35);
        var recorder = proxy.Rules.Add(new PutHeaderRecorder());
        var rule = proxy.Rules.Add(new PutChecksumRule { DamageInTransit = id => id.EndsWith("/obj", StringComparison.Ordinal) });
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("crcput-dmg");

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => PutAsync(s3, bucket, crc: SegmentChecksum.Of(Body)));
        var answer = await PutAsync(s3, bucket, crc: SegmentChecksum.Of(Body));

        Assert.Equal("BadDigest", refused.ErrorCode);
        Assert.Equal(1, rule.Damaged);
        Assert.Equal(SegmentChecksum.Of(Body), answer.ChecksumCRC64NVME);
        Assert.Equal(Body, await ReadAsync(bucket));
        Assert.Equal(2, recorder.Puts.Count);
        Assert.All(recorder.Puts, p => Assert.Equal(SegmentChecksum.Of(Body), p.Headers["x-amz-checksum-crc64nvme"]));
    }

    [Fact]
    public async Task DamagedInTransit_WithoutAChecksum_TheDamagedBodyIsStored_AsS3WouldStoreIt()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 36);
        var rule = proxy.Rules.Add(new PutChecksumRule { DamageInTransit = _ => true });
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("crcput-none");

        var answer = await PutAsync(s3, bucket);

        var stored = await ReadAsync(bucket);
        Assert.Equal(1, rule.Damaged);
        Assert.NotEqual(Body, stored);
        Assert.Equal(SegmentChecksum.Of(stored), answer.ChecksumCRC64NVME);
    }

    private static Task<PutObjectResponse> PutAsync(AmazonS3Client s3, string bucket, string? crc = null, byte[]? md5 = null)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = "dir/obj",
            InputStream = new MemoryStream(Body, writable: false),
            UseChunkEncoding = false,
            DisableDefaultChecksumValidation = true,
        };
        if (crc is not null)
        {
            request.ChecksumCRC64NVME = crc;
        }
        if (md5 is not null)
        {
            request.MD5Digest = Convert.ToBase64String(md5);
        }
        return s3.PutObjectAsync(request);
    }

    private async Task<bool> ExistsAsync(string bucket) =>
        (await emulator.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects is { Count: > 0 };

    private async Task<byte[]> ReadAsync(string bucket)
    {
        using var response = await emulator.S3.GetObjectAsync(bucket, "dir/obj");
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory);
        return memory.ToArray();
    }
}
