using System.Threading.Channels;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Publisher;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Publisher.Uploading;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Uploading;

/// <summary>
/// With SSE-KMS the ETag S3 returns is not the body's MD5, so the publisher must not compare them (integrity then rests
/// on Content-MD5, which S3 checks on the PUT, and the CRC-64 subscribers check); without KMS a wrong ETag is an error.
/// </summary>
public sealed class SseEtagTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("AES256", true)]
    [InlineData("aws:kms", false)]
    [InlineData("aws:kms:dsse", false)]
    public void The_ETag_is_taken_for_the_MD5_only_without_KMS(string? sse, bool etagIsMd5)
    {
        var options = new PublisherOptions { Location = Locations.Default, Sse = sse is null ? null : ServerSideEncryptionMethod.FindValue(sse) };
        Assert.Equal(etagIsMd5, options.EtagIsMd5);
    }

    [Fact]
    public async Task With_SSE_KMS_a_segment_whose_ETag_is_not_its_MD5_is_stored_and_the_KMS_headers_are_sent()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b-kms\"");
        var stored = await UploadOneAsync(s3, ServerSideEncryptionMethod.AWSKMS, "alias/my-key");
        Assert.Equal(1, stored.Index);
        var put = Assert.Single(s3.Puts);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal("alias/my-key", put.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.False(string.IsNullOrEmpty(put.MD5Digest));
    }

    [Fact]
    public async Task Without_KMS_an_ETag_that_is_not_the_MD5_fails_the_segment_with_exit_7()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"");
        var e = await Assert.ThrowsAsync<FatalException>(() => UploadOneAsync(s3, ServerSideEncryptionMethod.AES256, null));
        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("segment 1", e.Message, StringComparison.Ordinal);
    }

    private static async Task<SegmentInfo> UploadOneAsync(IAmazonS3 s3, ServerSideEncryptionMethod sse, string? kmsKey)
    {
        var options = new PublisherOptions { Location = Locations.Default, Workers = 1, Tries = 1, Sse = sse, SseKmsKeyId = kmsKey };
        using var slots = new SegmentSlots(1);
        using var buffers = new SegmentBufferFactory(null, "test");
        await slots.AcquireAsync(CancellationToken.None);
        var buffer = buffers.Create(1);
        buffer.Append("some segment bytes"u8);
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateUnbounded<SegmentInfo>();
        await input.Writer.WriteAsync(new SealedSegment(1, 0, buffer));
        input.Writer.Complete();
        var uploader = new SegmentUploader(input.Reader, output.Writer, s3, slots, new StepRetry(1, NullLogger.Instance), options, new TransferProgress("publish"), TimeProvider.System, NullLogger<SegmentUploader>.Instance);
        await uploader.RunAsync(CancellationToken.None).WaitAsync(Deadlines.Generous);
        return await output.Reader.ReadAsync();
    }

    /// <summary>An S3 client that answers every PutObject itself with the given ETag and remembers the requests.</summary>
    private sealed class FakeS3(string etag) : AmazonS3Client(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
    {
        public List<PutObjectRequest> Puts { get; } = [];

        public override Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
        {
            lock (Puts)
            {
                Puts.Add(request);
            }
            return Task.FromResult(new PutObjectResponse { ETag = etag });
        }
    }
}
