using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.S3Compatible;

/// <summary>
/// s3rver 3.7.1 has no flexible checksums: it ignores <c>x-amz-checksum-crc64nvme</c> and answers a PUT without one. A
/// default publish (CRC-64/NVME) notices at its first answer, says so once, checks that object's ETag as its MD5, and
/// sends Content-MD5 for the rest of the run; the archive verifies.
/// </summary>
[Collection("s3rver")]
public sealed class S3rverWireChecksumTests(S3rverFixture s3rver, ITestOutputHelper output)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_default_publish_falls_back_to_Content_MD5_with_one_warning_and_the_archive_verifies()
    {
        var bucket = await s3rver.CreateBucketAsync("wirefall");
        var data = new TestData((4L * 1024 * 1024) + 99, seed: 91);
        var url = $"s3://{bucket}/stream";

        await using var publisher = ProcessRunner.StartPublisher(["--notify", "none", "-m", "1", url], new ProcessOptions { Environment = s3rver.ChildEnvironment, Stdin = data.OpenRead() });
        await publisher.EnsureExitCodeAsync(s_deadline, 0);
        output.WriteLine(publisher.StderrTail());

        var warnings = publisher.Stderr.Split('\n').Count(l => l.Contains("returned no CRC-64/NVME", StringComparison.Ordinal)
            && l.Contains("checking ETags as MD5 instead", StringComparison.Ordinal));
        Assert.Equal(1, warnings);
        await using var verify = ProcessRunner.StartSubscriber(["verify", url], new ProcessOptions { Environment = s3rver.ChildEnvironment });
        await verify.EnsureExitCodeAsync(s_deadline, 0);
        Assert.StartsWith("OK", verify.StdoutText, StringComparison.Ordinal);
        for (var i = 1; i <= 5; i++)
        {
            using var response = await s3rver.S3.GetObjectAsync(bucket, KeyLayout.SegmentKey("stream", i));
            using var memory = new MemoryStream();
            await response.ResponseStream.CopyToAsync(memory);
            Assert.Equal(Convert.ToHexStringLower(PutChecksumRule.Md5(memory.ToArray())), response.ETag.Trim('"'));
        }
    }
}
