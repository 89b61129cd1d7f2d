using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>The full-object CRC-64/NVME rule, sent to with the SDK: copied-part checksums, BadDigest, and HEAD with checksum mode.</summary>
[Collection("emulator")]
public sealed class FullObjectChecksumRuleTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task ACopiedPartGetsItsCrc_TheCompletionIsCheckedAndAnswered_AndHeadReportsIt()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 11);
        var rule = proxy.Rules.Add(new FullObjectChecksumRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        // As the product's client sends it: the emulator cannot parse the SDK's default Content-Type here.
        s3.BeforeRequestEvent += AwsConnection.NoJsonContentType;
        var bucket = await emulator.CreateBucketAsync("full-crc");
        var source = new TestData(6 * MiB, seed: 11).ToArray();
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = new MemoryStream(source) });
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "k", ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME, ChecksumType = ChecksumType.FULL_OBJECT,
        });

        var copied = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "k", UploadId = upload.UploadId, PartNumber = 1,
        });
        Assert.Equal(SegmentChecksum.Of(source), copied.ChecksumCRC64NVME);

        var complete = new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartETags = [new PartETag(1, copied.ETag)],
            ChecksumCRC64NVME = SegmentChecksum.Of("not the object"u8), ChecksumType = ChecksumType.FULL_OBJECT,
        };
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(complete));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("BadDigest", refused.ErrorCode);
        Assert.Equal(1, proxy.Rules.Refusals("BadDigest"));

        complete.ChecksumCRC64NVME = SegmentChecksum.Of(source);
        var done = await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal(SegmentChecksum.Of(source), done.ChecksumCRC64NVME);
        Assert.Equal(ChecksumType.FULL_OBJECT, done.ChecksumType);
        Assert.Empty(rule.OpenUploads);

        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(SegmentChecksum.Of(source), head.ChecksumCRC64NVME);
    }

    [Fact]
    public async Task WithoutTheRule_TheEmulatorGivesNoCopiedPartChecksum()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 12);
        using var s3 = RuleClients.S3(emulator, proxy);
        // As the product's client sends it: the emulator cannot parse the SDK's default Content-Type here.
        s3.BeforeRequestEvent += AwsConnection.NoJsonContentType;
        var bucket = await emulator.CreateBucketAsync("full-crc-off");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = new MemoryStream(new byte[1000]) });
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "k", ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME, ChecksumType = ChecksumType.FULL_OBJECT,
        });

        var copied = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "k", UploadId = upload.UploadId, PartNumber = 1,
        });

        Assert.Null(copied.ChecksumCRC64NVME);
        await s3.AbortMultipartUploadAsync(bucket, "k", upload.UploadId);
    }
}
