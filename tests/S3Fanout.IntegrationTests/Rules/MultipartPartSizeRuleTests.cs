using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>The multipart rule: every part but the last at least 5 MiB, part numbers up to 10,000, and a record of what was sent.</summary>
[Collection("emulator")]
public sealed class MultipartPartSizeRuleTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task WhenAPartBeforeTheLastIsUnder5MiB_CompleteIsRefusedEntityTooSmall()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new MultipartPartSizeRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("mpu-small");
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");
        var one = await UploadAsync(s3, bucket, upload.UploadId, 1, MiB);
        var two = await UploadAsync(s3, bucket, upload.UploadId, 2, 10);

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartETags = [one, two],
        }));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("EntityTooSmall", refused.ErrorCode);
        Assert.Equal(1, proxy.Rules.Refusals("EntityTooSmall"));
        Assert.Empty(rule.Completed);
        Assert.Equal([MiB, 10L], rule.PartsSent.OrderBy(p => p.PartNumber).Select(p => p.Bytes));
    }

    [Fact]
    public async Task A5MiBPartAndATinyLastPart_Complete_AndTheRuleRecordsTheirSizes()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 2);
        var rule = proxy.Rules.Add(new MultipartPartSizeRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("mpu-ok");
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = new MemoryStream(new byte[6 * MiB]) });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");
        // UploadPartCopy is sent by hand: AWSSDK.S3 4.1 sends it with Content-Type application/x-amz-json-1.0 and an
        // empty body, which fauxqs 2.4.1 tries to parse as JSON (500). The emulator checks no signature.
        using var http = new HttpClient { BaseAddress = proxy.Endpoint };
        using var copy = new HttpRequestMessage(HttpMethod.Put, $"/{bucket}/k?partNumber=1&uploadId={Uri.EscapeDataString(upload.UploadId)}");
        copy.Headers.Add("x-amz-copy-source", $"{bucket}/src");
        copy.Headers.Add("x-amz-copy-source-range", $"bytes=0-{(5 * MiB) - 1}");
        using var copied = await http.SendAsync(copy);
        Assert.Equal(HttpStatusCode.OK, copied.StatusCode);
        var copiedETag = System.Text.RegularExpressions.Regex.Match(await copied.Content.ReadAsStringAsync(), "<ETag>([^<]*)</ETag>").Groups[1].Value.Replace("&quot;", "\"", StringComparison.Ordinal);
        var last = await UploadAsync(s3, bucket, upload.UploadId, 2, 3);

        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartETags = [new PartETag(1, copiedETag), last],
        });

        var done = Assert.Single(rule.Completed);
        Assert.Equal([5L * MiB, 3L], done.PartBytes);
        Assert.Contains(rule.PartsSent, p => p.Copied && p.Bytes == 5L * MiB);
        var meta = await emulator.S3.GetObjectMetadataAsync(bucket, "k");
        Assert.Equal((5L * MiB) + 3, meta.ContentLength);
    }

    [Fact]
    public async Task APartNumberOver10000_IsRefused()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 3);
        proxy.Rules.Add(new MultipartPartSizeRule());
        using var s3 = RuleClients.S3(emulator, proxy);
        var bucket = await emulator.CreateBucketAsync("mpu-number");
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => UploadAsync(s3, bucket, upload.UploadId, 10_001, 1));

        Assert.Equal("InvalidArgument", refused.ErrorCode);
    }

    private static async Task<PartETag> UploadAsync(IAmazonS3 s3, string bucket, string uploadId, int number, int bytes)
    {
        var response = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "k", UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(new byte[bytes]),
        });
        return new PartETag(number, response.ETag);
    }
}
