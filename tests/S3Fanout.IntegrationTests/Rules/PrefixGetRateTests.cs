using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Aws;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary><see cref="PrefixGetRate"/> through the proxy with the SDK: a prefix past its rate answers 503 SlowDown.</summary>
[Collection("emulator")]
public sealed class PrefixGetRateTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Past_the_rate_a_GET_of_the_same_prefix_is_refused_with_503_SlowDown_and_another_prefix_is_not()
    {
        var bucket = await emulator.CreateBucketAsync("rule-prefixrate");
        foreach (var key in new[] { "hot/000000000000001", "hot/000000000000002", "cold/000000000000001" })
        {
            await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "x" });
        }
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        // A clock that stands still: no refill, so exactly the burst of 2 passes per prefix.
        var rule = proxy.Rules.Add(new PrefixGetRate(2, time: new FrozenTime()));
        using var s3 = RuleClients.S3(emulator, proxy);

        await ReadAsync(s3, bucket, "hot/000000000000001");
        await ReadAsync(s3, bucket, "hot/000000000000002");
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "hot/000000000000001"));
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "hot/000000000000002"));
        await ReadAsync(s3, bucket, "cold/000000000000001");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("SlowDown", refused.ErrorCode);
        Assert.Equal("Please reduce your request rate.", refused.Message);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, head.StatusCode);
        Assert.Equal(FailureKind.Throttled, AwsErrors.Classify(refused).Kind);
        Assert.Equal(1, proxy.Rules.Refusals("SlowDown"));
        Assert.Equal(2, rule.Refused);
        Assert.Equal(3, rule.Passed);
    }

    [Fact]
    public async Task With_a_write_rate_set_a_PUT_past_it_is_refused_and_without_one_writes_pass()
    {
        var bucket = await emulator.CreateBucketAsync("rule-prefixrate-put");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var limited = new PrefixGetRate(100, time: new FrozenTime()) { PutsPerSecond = 1 };
        proxy.Rules.Add(limited);
        using var s3 = RuleClients.S3(emulator, proxy);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "w/a", ContentBody = "x" });
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "w/b", ContentBody = "x" }));

        Assert.Equal("SlowDown", refused.ErrorCode);
        Assert.Equal(1, limited.Refused);
    }

    [Fact]
    public async Task Without_the_rule_the_emulator_never_slows_down()
    {
        var bucket = await emulator.CreateBucketAsync("rule-prefixrate-off");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hot/000000000000001", ContentBody = "x" });
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var s3 = RuleClients.S3(emulator, proxy);

        for (var i = 0; i < 10; i++)
        {
            await ReadAsync(s3, bucket, "hot/000000000000001");
        }
        Assert.Equal(0, proxy.Rules.Refusals("SlowDown"));
    }

    [Fact]
    public void The_default_prefix_is_the_bucket_and_the_key_up_to_its_last_slash()
    {
        Assert.Equal("b/name/", PrefixGetRate.DefaultPrefix("b/name/000000000000001"));
        Assert.Equal("b/name/.replica-1/", PrefixGetRate.DefaultPrefix("b/name/.replica-1/000000000000001"));
        Assert.Equal("b/", PrefixGetRate.DefaultPrefix("b/top"));
    }

    private static async Task ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var answer = await s3.GetObjectAsync(bucket, key);
        using var reader = new StreamReader(answer.ResponseStream);
        Assert.Equal("x", await reader.ReadToEndAsync());
    }
}
