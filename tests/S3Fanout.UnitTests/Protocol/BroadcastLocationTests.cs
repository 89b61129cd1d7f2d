using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class BroadcastLocationTests
{
    [Theory]
    [InlineData("s3://my-bucket/live", "my-bucket", "live")]
    [InlineData("s3://my.bucket-2/a/b/c", "my.bucket-2", "a/b/c")]
    [InlineData("s3://abc/x", "abc", "x")]
    [InlineData("s3://123/x", "123", "x")]
    public void WhenTheUrlIsValid_BucketAndPrefixAreSplit(string url, string bucket, string prefix)
    {
        Assert.True(BroadcastLocation.TryParse(url, out var location, out var error), error);
        Assert.Equal(new BroadcastLocation(bucket, prefix), location);
        Assert.Equal("", error);
        Assert.Equal($"s3://{bucket}/{prefix}", location.ToString());
    }

    [Theory]
    [InlineData("s3://my-bucket/live/", "live")]
    [InlineData("s3://my-bucket/live///", "live")]
    [InlineData("s3://my-bucket/a/b/", "a/b")]
    public void WhenThePrefixHasTrailingSlashes_TheyAreTrimmed(string url, string prefix)
    {
        Assert.True(BroadcastLocation.TryParse(url, out var location, out var error), error);
        Assert.Equal(prefix, location.Prefix);
    }

    [Theory]
    [InlineData("my-bucket/live")]
    [InlineData("S3://my-bucket/live")]
    [InlineData("https://my-bucket/live")]
    [InlineData("s3:/my-bucket/live")]
    [InlineData("")]
    public void WhenThereIsNoS3Scheme_ItIsRejected(string url)
    {
        Assert.False(BroadcastLocation.TryParse(url, out _, out var error));
        Assert.Contains("is not an S3 URL", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://b1/live")] // too short
    [InlineData("s3://MyBucket/live")] // upper case
    [InlineData("s3://a..b/live")]
    [InlineData("s3://-bucket/live")]
    [InlineData("s3://bucket-/live")]
    [InlineData("s3://bucket_name/live")]
    [InlineData("s3://buck et/live")]
    [InlineData("s3:///live")]
    public void WhenTheBucketNameIsInvalid_ItIsRejected(string url)
    {
        Assert.False(BroadcastLocation.TryParse(url, out _, out var error));
        Assert.Contains("is not a valid bucket name", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheBucketNameIsLongerThan63Characters_ItIsRejected()
    {
        Assert.True(BroadcastLocation.TryParse($"s3://{new string('a', 63)}/x", out _, out _));
        Assert.False(BroadcastLocation.TryParse($"s3://{new string('a', 64)}/x", out _, out _));
    }

    [Theory]
    [InlineData("s3://my-bucket")]
    [InlineData("s3://my-bucket/")]
    [InlineData("s3://my-bucket///")]
    public void WhenThePrefixIsMissing_ItIsRejected(string url)
    {
        Assert.False(BroadcastLocation.TryParse(url, out _, out var error));
        Assert.Contains("names no broadcast", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://my-bucket/li\nve")]
    [InlineData("s3://my-bucket/live\r")]
    [InlineData("s3://my-bucket/li\tve")]
    [InlineData("s3://my-bucket/li\0ve")]
    [InlineData("s3://my-bucket/li\u007fve")]
    [InlineData("s3://my-bucket/a//b")]
    public void WhenThePrefixHasControlCharactersOrEmptySegments_ItIsRejected(string url)
    {
        Assert.False(BroadcastLocation.TryParse(url, out _, out var error));
        Assert.Contains("invalid key prefix", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenThePrefixIsLongerThan900Characters_ItIsRejected()
    {
        Assert.True(BroadcastLocation.TryParse("s3://my-bucket/" + new string('p', 900), out _, out _));
        Assert.False(BroadcastLocation.TryParse("s3://my-bucket/" + new string('p', 901), out _, out _));
    }

    [Fact]
    public void WhenParseIsGivenABadUrl_ItThrowsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => BroadcastLocation.Parse("s3://B/x"));

        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("not a valid bucket name", e.Message, StringComparison.Ordinal);
    }
}
