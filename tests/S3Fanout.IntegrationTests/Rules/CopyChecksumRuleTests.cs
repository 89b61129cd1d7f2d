using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>The copy-checksum rule: S3 returns the CRC-64/NVME of a copy in CopyObjectResult; fauxqs 2.4.1 returns none.</summary>
[Collection("emulator")]
public sealed class CopyChecksumRuleTests(EmulatorFixture emulator)
{
    private static readonly byte[] Body = new TestData(300_000, seed: 12).ToArray();

    [Fact]
    public async Task WithoutTheRule_TheEmulatorReturnsNoChecksumForACopy()
    {
        // Why the rule exists: were this to fail, the emulator would have learnt copy checksums itself.
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await SourceAsync("copy-off");

        var copy = await CopyAsync(s3, bucket);

        Assert.True(string.IsNullOrEmpty(copy.ChecksumCRC64NVME), $"the emulator returned {copy.ChecksumCRC64NVME}");
    }

    [Fact]
    public async Task WithTheRule_ACopyReportsTheCrc64NvmeOfItsBytes_AndKeepsTheMetadata()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 2);
        var rule = proxy.Rules.Add(new CopyChecksumRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await SourceAsync("copy-on");

        var copy = await CopyAsync(s3, bucket);

        Assert.Equal(SegmentChecksum.Of(Body), copy.ChecksumCRC64NVME);
        Assert.Equal(1, rule.Copies);
        Assert.Equal(Body, await ReadAsync(bucket, "dst"));
        var head = await emulator.S3.GetObjectMetadataAsync(bucket, "dst");
        Assert.Equal("kept", head.Metadata["x-amz-meta-mark"]);
    }

    [Fact]
    public async Task WithDamage_TheCopyDiffers_AndTheChecksumReportedIsThatOfTheDamagedCopy()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 3);
        var rule = proxy.Rules.Add(new CopyChecksumRule { Damage = true });
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await SourceAsync("copy-bad");

        var copy = await CopyAsync(s3, bucket);

        var stored = await ReadAsync(bucket, "dst");
        Assert.NotEqual(Body, stored);
        Assert.Equal(Body.Length, stored.Length);
        Assert.Equal(SegmentChecksum.Of(stored), copy.ChecksumCRC64NVME);
        Assert.NotEqual(SegmentChecksum.Of(Body), copy.ChecksumCRC64NVME);
        Assert.Equal(1, rule.Damaged);
        Assert.Equal("kept", (await emulator.S3.GetObjectMetadataAsync(bucket, "dst")).Metadata["x-amz-meta-mark"]);
    }

    private async Task<string> SourceAsync(string stem)
    {
        var bucket = await emulator.CreateBucketAsync(stem);
        using var body = new MemoryStream(Body, writable: false);
        var put = new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = body, AutoCloseStream = false, UseChunkEncoding = false };
        put.Metadata["mark"] = "kept";
        await emulator.S3.PutObjectAsync(put);
        return bucket;
    }

    private static Task<CopyObjectResponse> CopyAsync(AmazonS3Client s3, string bucket) => s3.CopyObjectAsync(new CopyObjectRequest
    {
        SourceBucket = bucket,
        SourceKey = "src",
        DestinationBucket = bucket,
        DestinationKey = "dst",
        MetadataDirective = S3MetadataDirective.COPY,
        ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME,
    });

    private async Task<byte[]> ReadAsync(string bucket, string key)
    {
        using var response = await emulator.S3.GetObjectAsync(bucket, key);
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory);
        return memory.ToArray();
    }
}
