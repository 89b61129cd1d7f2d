using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>The conditional-writes rule: S3's If-None-Match and If-Match on writes, which the emulator ignores.</summary>
[Collection("emulator")]
public sealed class ConditionalWritesRuleTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task WithoutTheRule_TheEmulatorOverwritesDespiteIfNoneMatch()
    {
        // Why the rule exists: were this to fail, the emulator would have learnt conditional writes itself.
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-off");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first" });

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second", IfNoneMatch = "*" });

        Assert.Equal("second", await ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task WhenTheKeyExists_IfNoneMatchIsRefused412_AndTheObjectKeepsItsBytes()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 2);
        proxy.Rules.Add(new ConditionalWritesRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-inm");

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/k", ContentBody = "first", IfNoneMatch = "*" });
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/k", ContentBody = "second", IfNoneMatch = "*" }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("PreconditionFailed", refused.ErrorCode);
        Assert.Equal("first", await ReadAsync(bucket, "dir/k"));
        Assert.Equal(1, proxy.Rules.Refusals("PreconditionFailed"));
    }

    [Fact]
    public async Task IfMatch_WritesOnlyOverTheNamedETag_AndAMissingKeyIs404()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 3);
        proxy.Rules.Add(new ConditionalWritesRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-im");
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first" });

        var stale = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfMatch = "\"0123456789abcdef0123456789abcdef\"" }));
        var second = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second", IfMatch = first.ETag });
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "absent", ContentBody = "x", IfMatch = first.ETag }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.HttpStatusCode);
        Assert.Equal("second", await ReadAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NoSuchKey", missing.ErrorCode);
    }

    [Fact]
    public async Task WhenEightWritersRaceWithIfNoneMatch_ExactlyOneWins()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 4);
        proxy.Rules.Add(new ConditionalWritesRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-race");

        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = $"writer {i}", IfNoneMatch = "*" });
                return i;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                return -1;
            }
        }).ToList();
        var winners = (await Task.WhenAll(attempts)).Where(i => i >= 0).ToList();

        var winner = Assert.Single(winners);
        Assert.Equal($"writer {winner}", await ReadAsync(bucket, "k"));
        Assert.Equal(7, proxy.Rules.Refusals("PreconditionFailed"));
    }

    [Fact]
    public async Task CompleteMultipartUpload_HonoursIfNoneMatch()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 5);
        proxy.Rules.Add(new ConditionalWritesRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-mpu");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "there" });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream("tiny"u8.ToArray()) });

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "k",
            UploadId = upload.UploadId,
            PartETags = [new PartETag(1, part.ETag)],
            IfNoneMatch = "*",
        }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("there", await ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task WhenTheEndpointLacksConditionalWrites_TheyAreRefused501_AndPlainWritesPass()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 6);
        proxy.Rules.Add(new ConditionalWritesRule { Supported = false });
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("cond-501");

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfNoneMatch = "*" }));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "plain" });

        Assert.Equal(HttpStatusCode.NotImplemented, refused.StatusCode);
        Assert.Equal("NotImplemented", refused.ErrorCode);
        Assert.Equal("plain", await ReadAsync(bucket, "k"));
    }

    private async Task<string> ReadAsync(string bucket, string key)
    {
        using var got = await emulator.S3.GetObjectAsync(bucket, key);
        using var reader = new StreamReader(got.ResponseStream);
        return await reader.ReadToEndAsync();
    }
}
