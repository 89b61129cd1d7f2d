using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>
/// <see cref="DefaultKmsEncryptionRule"/> sent requests with the SDK: a bucket with SSE-KMS default encryption answers
/// with the KMS headers and an ETag that is not the MD5 (the same on PUT, GET and HEAD), names the key asked for, and
/// with a policy requiring one key refuses every other PutObject with 403 AccessDenied. Without the rule the emulator
/// answers as an unencrypted bucket.
/// </summary>
[Collection("emulator")]
public sealed class DefaultKmsEncryptionRuleTests(EmulatorFixture emulator)
{
    private const string BucketKey = "arn:aws:kms:us-east-1:000000000000:key/bucket-default";
    private const string OtherKey = "arn:aws:kms:us-east-1:000000000000:key/other";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("a body stored in an SSE-KMS bucket");
    private static readonly string BodyMd5 = Md5Hex(Body);

    [Fact]
    public async Task A_put_that_asks_for_nothing_gets_the_bucket_key_and_one_non_MD5_ETag_on_PUT_GET_and_HEAD()
    {
        var bucket = await emulator.CreateBucketAsync("kms-rule");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 51);
        var rule = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        using var s3 = Connect(proxy);

        // Sent with Content-MD5 and no flexible checksum, as the publisher sends segments.
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", InputStream = new MemoryStream(Body), MD5Digest = Convert.ToBase64String(Convert.FromHexString(BodyMd5)),
            DisableDefaultChecksumValidation = true, UseChunkEncoding = false,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal(BucketKey, put.ServerSideEncryptionKeyManagementServiceKeyId);
        var etag = put.ETag.Trim('"');
        Assert.Equal(32, etag.Length);
        Assert.NotEqual(BodyMd5, etag);
        // No checksum was sent, so S3 adds its default CRC-64/NVME of the body.
        Assert.Equal(SegmentChecksum.Of(Body), put.ChecksumCRC64NVME);

        using (var get = await s3.GetObjectAsync(bucket, "k"))
        {
            using var read = new MemoryStream();
            await get.ResponseStream.CopyToAsync(read);
            Assert.Equal(Body, read.ToArray());
            Assert.Equal(put.ETag, get.ETag);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, get.ServerSideEncryptionMethod);
            Assert.Equal(BucketKey, get.ServerSideEncryptionKeyManagementServiceKeyId);
        }
        var head = await s3.GetObjectMetadataAsync(bucket, "k");
        Assert.Equal(put.ETag, head.ETag);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.Equal(BucketKey, head.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.Equal(BucketKey, rule.Written["k"]);

        // The rule off: the emulator's own answer, the body's MD5 and no encryption header.
        var plain = await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "plain", InputStream = new MemoryStream(Body) });
        Assert.Equal(BodyMd5, plain.ETag.Trim('"'));
        Assert.True(string.IsNullOrEmpty(plain.ServerSideEncryptionMethod?.Value), $"the emulator said {plain.ServerSideEncryptionMethod}");
    }

    [Fact]
    public async Task A_put_naming_a_key_gets_that_key_one_asking_for_aws_kms_alone_gets_aws_s3_and_AES256_keeps_the_MD5()
    {
        var bucket = await emulator.CreateBucketAsync("kms-rule-keys");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 52);
        proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        using var s3 = Connect(proxy);

        var named = await PutAsync(s3, bucket, "named", ServerSideEncryptionMethod.AWSKMS, OtherKey);
        Assert.Equal(OtherKey, named.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.Equal(OtherKey, (await s3.GetObjectMetadataAsync(bucket, "named")).ServerSideEncryptionKeyManagementServiceKeyId);

        var bare = await PutAsync(s3, bucket, "bare", ServerSideEncryptionMethod.AWSKMS, null);
        Assert.Equal(DefaultKmsEncryptionRule.AwsManagedKeyId, bare.ServerSideEncryptionKeyManagementServiceKeyId);

        var sseS3 = await PutAsync(s3, bucket, "sse-s3", ServerSideEncryptionMethod.AES256, null);
        Assert.Equal(ServerSideEncryptionMethod.AES256, sseS3.ServerSideEncryptionMethod);
        Assert.Equal(BodyMd5, sseS3.ETag.Trim('"'));
    }

    [Fact]
    public async Task A_policy_requiring_one_key_refuses_a_put_without_it_with_403_AccessDenied_and_admits_one_with_it()
    {
        var bucket = await emulator.CreateBucketAsync("kms-rule-policy");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 53);
        proxy.Rules.Add(new RequireSseRule(bucket) { RequiredKeyId = BucketKey });
        proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        using var s3 = Connect(proxy);

        foreach (var (what, sse, key) in new (string, ServerSideEncryptionMethod?, string?)[]
            { ("no encryption asked", null, null), ("aws:kms without a key", ServerSideEncryptionMethod.AWSKMS, null), ("another key", ServerSideEncryptionMethod.AWSKMS, OtherKey) })
        {
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => PutAsync(s3, bucket, "refused", sse, key));
            Assert.True(e.ErrorCode == "AccessDenied" && (int)e.StatusCode == 403, $"{what}: {e.StatusCode} {e.ErrorCode}");
        }
        Assert.Equal(3, proxy.Rules.Refusals("AccessDenied"));
        var admitted = await PutAsync(s3, bucket, "admitted", ServerSideEncryptionMethod.AWSKMS, BucketKey);
        Assert.Equal(BucketKey, admitted.ServerSideEncryptionKeyManagementServiceKeyId);

        // The rule off: the same PUT without a key is stored.
        await PutAsync(emulator.S3, bucket, "refused", null, null);
    }

    [Fact]
    public async Task Multipart_and_copy_answers_carry_the_KMS_headers_and_no_MD5_ETag_and_the_upload_completes()
    {
        var bucket = await emulator.CreateBucketAsync("kms-rule-mpu");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 54);
        proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        using var s3 = Connect(proxy);

        var start = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mpu" });
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mpu", UploadId = start.UploadId, PartNumber = 1, InputStream = new MemoryStream(Body), IsLastPart = true,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, part.ServerSideEncryptionMethod);
        Assert.NotEqual(BodyMd5, part.ETag.Trim('"'));
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mpu", UploadId = start.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, done.ServerSideEncryptionMethod);
        var head = await s3.GetObjectMetadataAsync(bucket, "mpu");
        Assert.Equal(done.ETag, head.ETag);
        Assert.Equal(Body.Length, head.ContentLength);

        await PutAsync(emulator.S3, bucket, "source", null, null);
        var copy = await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "source", DestinationBucket = bucket, DestinationKey = "copy" });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, copy.ServerSideEncryptionMethod);
        Assert.NotEqual(BodyMd5, copy.ETag.Trim('"'));
        Assert.Equal(copy.ETag, (await s3.GetObjectMetadataAsync(bucket, "copy")).ETag);
    }

    [Fact]
    public async Task A_get_with_If_Match_is_compared_with_the_ETag_the_bucket_gave_and_another_ETag_is_refused_with_412()
    {
        var bucket = await emulator.CreateBucketAsync("kms-ifmatch");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 52);
        proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket, BucketKey));
        using var s3 = Connect(proxy);
        var etag = (await PutAsync(s3, bucket, "k", null, null)).ETag;
        Assert.NotEqual(BodyMd5, etag.Trim('"'));

        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = etag, ByteRange = new ByteRange(0, 4) }))
        {
            using var read = new MemoryStream();
            await get.ResponseStream.CopyToAsync(read);
            Assert.Equal(Body[..5], read.ToArray());
        }
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = $"\"{BodyMd5}\"" }));
        Assert.Equal(412, (int)refused.StatusCode);

        // The rule off: the emulator compares with its own ETag, the MD5, and refuses the one the bucket gave.
        var plain = await Assert.ThrowsAsync<AmazonS3Exception>(() => emulator.S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = etag }));
        Assert.Equal(412, (int)plain.StatusCode);
    }

    private static Task<PutObjectResponse> PutAsync(IAmazonS3 s3, string bucket, string key, ServerSideEncryptionMethod? sse, string? kmsKey) =>
        s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key, InputStream = new MemoryStream(Body), ServerSideEncryptionMethod = sse, ServerSideEncryptionKeyManagementServiceKeyId = kmsKey,
        });

    /// <summary>The MD5 S3 would give as the ETag of an unencrypted body (a content digest here, not security).</summary>
    private static string Md5Hex(byte[] data)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(data);
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private AmazonS3Client Connect(FaultProxy proxy) =>
        new(emulator.Credentials, new AmazonS3Config { ServiceURL = proxy.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = emulator.Region });
}
