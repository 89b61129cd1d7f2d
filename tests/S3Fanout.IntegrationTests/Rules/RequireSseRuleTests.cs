using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>
/// <see cref="RequireSseRule"/> sent requests with the SDK through the proxy: a bucket policy requiring
/// <c>x-amz-server-side-encryption: aws:kms</c> refuses PutObject, CopyObject and CreateMultipartUpload without it with
/// 403 AccessDenied and admits them with it; other buckets, and the same bucket with the rule off, are untouched.
/// </summary>
[Collection("emulator")]
public sealed class RequireSseRuleTests(EmulatorFixture emulator)
{
    private const string Key = "arn:aws:kms:us-east-1:000000000000:key/required";

    [Fact]
    public async Task Without_the_encryption_header_PutObject_CopyObject_and_CreateMultipartUpload_are_refused_with_403_AccessDenied()
    {
        var bucket = await emulator.CreateBucketAsync("rule-sse");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "source", ContentBody = "source body" });
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 61);
        var rule = proxy.Rules.Add(new RequireSseRule(bucket));
        using var s3 = RuleClients.S3(emulator, proxy);

        var refusals = new List<AmazonS3Exception>
        {
            await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "put", ContentBody = "x" })),
            await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = "put-aes", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
            })),
            await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket, SourceKey = "source", DestinationBucket = bucket, DestinationKey = "copy",
            })),
            await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mpu" })),
        };

        Assert.All(refusals, e => Assert.True(e.StatusCode == HttpStatusCode.Forbidden && e.ErrorCode == "AccessDenied", $"{e.StatusCode} {e.ErrorCode}"));
        Assert.Equal(4, proxy.Rules.Refusals("AccessDenied"));
        Assert.Equal(["PutObject put", "PutObject put-aes", "CopyObject copy", "CreateMultipartUpload mpu"], rule.Checked.Select(c => $"{c.Operation} {c.Key}"));
        Assert.All(rule.Checked, c => Assert.True(c.Denied));
        foreach (var key in new[] { "put", "put-aes", "copy" })
        {
            Assert.False(await ExistsAsync(bucket, key), $"{key} was stored");
        }
    }

    [Fact]
    public async Task With_aws_kms_asked_for_every_write_passes_and_reads_and_sub_resources_are_not_checked()
    {
        var bucket = await emulator.CreateBucketAsync("rule-sse-ok");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "source", ContentBody = "source body" });
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 62);
        var rule = proxy.Rules.Add(new RequireSseRule(bucket) { RequiredKeyId = Key });
        using var s3 = RuleClients.S3(emulator, proxy);

        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "put", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = Key,
        });
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "source", DestinationBucket = bucket, DestinationKey = "copy",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = Key,
        });
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mpu", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = Key,
        });
        // A part carries no encryption header and is not refused.
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mpu", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream("part"u8.ToArray()), IsLastPart = true,
        });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mpu", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        using (var get = await s3.GetObjectAsync(bucket, "copy"))
        using (var reader = new StreamReader(get.ResponseStream))
        {
            Assert.Equal("source body", await reader.ReadToEndAsync());
        }
        Assert.True(await ExistsAsync(bucket, "put") && await ExistsAsync(bucket, "mpu"));

        // The key condition: aws:kms with another key, or none, is refused.
        var otherKey = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "other", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        }));
        Assert.Equal("AccessDenied", otherKey.ErrorCode);

        Assert.Equal(1, proxy.Rules.Refusals("AccessDenied"));
        Assert.Equal(["PutObject put False", "CopyObject copy False", "CreateMultipartUpload mpu False", "PutObject other True"],
            rule.Checked.Select(c => $"{c.Operation} {c.Key} {c.Denied}"));
        Assert.All(rule.Checked.Take(3), c => Assert.True(c.Sse == "aws:kms" && c.KmsKeyId == Key, $"{c}"));
    }

    [Fact]
    public async Task Another_bucket_and_the_same_bucket_with_the_rule_off_take_writes_without_the_header()
    {
        var bucket = await emulator.CreateBucketAsync("rule-sse-on");
        var other = await emulator.CreateBucketAsync("rule-sse-other");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 63);
        var rule = proxy.Rules.Add(new RequireSseRule(bucket));
        using var s3 = RuleClients.S3(emulator, proxy);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = "put", ContentBody = "x" });
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = other, SourceKey = "put", DestinationBucket = other, DestinationKey = "copy" });
        Assert.True(await ExistsAsync(other, "copy"));
        Assert.Empty(rule.Checked);

        await using var off = new FaultProxy(emulator.Endpoint, seed: 64);
        using var plain = RuleClients.S3(emulator, off);
        await plain.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "put", ContentBody = "x" });
        Assert.True(await ExistsAsync(bucket, "put"));
        Assert.Equal(0, proxy.Rules.Refusals("AccessDenied"));
    }

    private async Task<bool> ExistsAsync(string bucket, string key)
    {
        try
        {
            await emulator.S3.GetObjectMetadataAsync(bucket, key);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
