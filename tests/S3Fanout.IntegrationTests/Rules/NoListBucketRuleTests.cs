using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary><see cref="NoListBucketRule"/> through the proxy with the SDK: what it refuses, and what it leaves alone.</summary>
[Collection("emulator")]
public sealed class NoListBucketRuleTests(EmulatorFixture emulator)
{
    private const string Reader = "reader-without-listbucket";

    [Fact]
    public async Task Without_ListBucket_a_missing_key_answers_403_AccessDenied_to_GET_and_HEAD_and_listing_is_refused()
    {
        var bucket = await emulator.CreateBucketAsync("rule-nolist");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b/present", ContentBody = "here" });
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new NoListBucketRule());
        using var s3 = S3Through(proxy, emulator.Credentials);

        var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "b/missing"));
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.Equal("AccessDenied", get.ErrorCode);
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "b/missing"));
        Assert.Equal(HttpStatusCode.Forbidden, head.StatusCode);
        var v2 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "b/" }));
        Assert.Equal(HttpStatusCode.Forbidden, v2.StatusCode);
        Assert.Equal("AccessDenied", v2.ErrorCode);
        var v1 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "b/" }));
        Assert.Equal(HttpStatusCode.Forbidden, v1.StatusCode);

        // A key that exists is read as usual; a missing bucket is still NoSuchBucket.
        using (var present = await s3.GetObjectAsync(bucket, "b/present"))
        using (var reader = new StreamReader(present.ResponseStream))
        {
            Assert.Equal("here", await reader.ReadToEndAsync());
        }
        Assert.Equal(4L, (await s3.GetObjectMetadataAsync(bucket, "b/present")).ContentLength);
        var noBucket = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("rule-nolist-no-such-bucket", "k"));
        Assert.Equal("NoSuchBucket", noBucket.ErrorCode);

        Assert.Equal(4, proxy.Rules.Refusals("AccessDenied") + proxy.Rules.Refusals("403"));
        Assert.Equal(["b/missing", "b/missing", "LIST b/", "LIST b/"], rule.Refused);
    }

    [Fact]
    public async Task With_the_rule_off_or_for_another_principal_a_missing_key_is_404_and_listing_works()
    {
        var bucket = await emulator.CreateBucketAsync("rule-nolist-off");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b/present", ContentBody = "here" });
        await using var plain = new FaultProxy(emulator.Endpoint, seed: 1);
        await using var scoped = new FaultProxy(emulator.Endpoint, seed: 1);
        scoped.Rules.Add(new NoListBucketRule(accessKeyId: Reader));

        foreach (var proxy in new[] { plain, scoped })
        {
            using var s3 = S3Through(proxy, emulator.Credentials);
            var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "b/missing"));
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            Assert.Equal("NoSuchKey", get.ErrorCode);
            var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "b/missing"));
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
            var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "b/" });
            Assert.Equal(["b/present"], listing.S3Objects.Select(o => o.Key));
        }

        // The principal the scoped rule names is refused on the same proxy.
        using var reader = S3Through(scoped, new BasicAWSCredentials(Reader, EmulatorFixture.SecretKey));
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => reader.GetObjectAsync(bucket, "b/missing"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(1, scoped.Rules.Refusals("AccessDenied"));
        Assert.Equal(0, plain.Rules.Refusals("AccessDenied"));
    }

    private AmazonS3Client S3Through(FaultProxy proxy, AWSCredentials credentials)
    {
        var config = emulator.CreateS3Config();
        config.ServiceURL = proxy.Endpoint.ToString();
        config.MaxErrorRetry = 0;
        return new AmazonS3Client(credentials, config);
    }
}
