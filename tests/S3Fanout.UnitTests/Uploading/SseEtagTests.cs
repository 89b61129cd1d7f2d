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
/// With SSE-KMS, DSSE-KMS or SSE-C the ETag S3 returns is not the body's MD5, so the publisher must not compare them
/// (integrity then rests on Content-MD5, which S3 checks on the PUT, and on the CRC-64/NVME S3 returns); with no
/// encryption header or AES256 in the answer a wrong ETag is an error. The decision follows S3's answer, not --sse.
/// </summary>
public sealed class SseEtagTests
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData("", null, true)]
    [InlineData("AES256", null, true)]
    [InlineData("aws:kms", null, false)]
    [InlineData("aws:kms:dsse", null, false)]
    [InlineData(null, "AES256", false)]
    [InlineData("AES256", "AES256", false)]
    public void The_ETag_is_taken_for_the_MD5_only_when_the_answer_says_plaintext_or_SSE_S3(string? sse, string? sseCustomer, bool etagIsMd5) =>
        Assert.Equal(etagIsMd5, EtagDigest.IsMd5(sse is null ? null : ServerSideEncryptionMethod.FindValue(sse),
            sseCustomer is null ? null : ServerSideEncryptionCustomerMethod.FindValue(sseCustomer)));

    [Fact]
    public async Task With_SSE_KMS_a_segment_whose_ETag_is_not_its_MD5_is_stored_and_the_KMS_headers_are_sent()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", ServerSideEncryptionMethod.AWSKMS);
        var stored = await UploadOneAsync(s3, new SseSettings(ServerSideEncryptionMethod.AWSKMS, "alias/my-key"));
        Assert.Equal(1, stored.Index);
        var put = Assert.Single(s3.Puts);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal("alias/my-key", put.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.False(string.IsNullOrEmpty(put.MD5Digest));
    }

    [Fact]
    public async Task Without_sse_a_bucket_default_KMS_answer_whose_ETag_is_not_the_MD5_is_stored()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", ServerSideEncryptionMethod.AWSKMS);
        var stored = await UploadOneAsync(s3, null);
        Assert.Equal(1, stored.Index);
        Assert.Null(Assert.Single(s3.Puts).ServerSideEncryptionMethod);
    }

    [Fact]
    public async Task With_SSE_KMS_a_returned_CRC64_that_is_not_the_segment_s_fails_the_segment_with_exit_7()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", ServerSideEncryptionMethod.AWSKMS, crc64: SegmentChecksum.Of("other bytes"u8));
        var e = await Assert.ThrowsAsync<FatalException>(() => UploadOneAsync(s3, new SseSettings(ServerSideEncryptionMethod.AWSKMS)));
        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("CRC64/NVME", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_SSE_KMS_a_returned_CRC64_equal_to_the_segment_s_is_stored()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", ServerSideEncryptionMethod.AWSKMS, crc64: SegmentChecksum.Of(Body));
        var stored = await UploadOneAsync(s3, new SseSettings(ServerSideEncryptionMethod.AWSKMS));
        Assert.Equal(SegmentChecksum.Of(Body), stored.Checksum);
    }

    [Fact]
    public async Task Without_KMS_an_ETag_that_is_not_the_MD5_fails_the_segment_with_exit_7()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", ServerSideEncryptionMethod.AES256);
        var e = await Assert.ThrowsAsync<FatalException>(() => UploadOneAsync(s3, new SseSettings(ServerSideEncryptionMethod.AES256)));
        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("segment 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_for_SSE_KMS_does_not_excuse_an_answer_without_KMS_whose_ETag_is_not_the_MD5()
    {
        using var s3 = new FakeS3("\"0f343b0931126a20f133d67c2b018a3b\"", sse: null);
        var e = await Assert.ThrowsAsync<FatalException>(() => UploadOneAsync(s3, new SseSettings(ServerSideEncryptionMethod.AWSKMS, "alias/my-key")));
        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
    }

    [Fact]
    public void A_KMS_key_without_sse_aws_kms_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.Usage, Assert.Throws<UsageException>(() => SseSettings.Parse(null, "alias/k")).ExitCode);
        Assert.Equal(ExitCodes.Usage, Assert.Throws<UsageException>(() => SseSettings.Parse("AES256", "alias/k")).ExitCode);
        Assert.Equal(new SseSettings(ServerSideEncryptionMethod.AWSKMS, "alias/k"), SseSettings.Parse("aws:kms", "alias/k"));
        Assert.Null(SseSettings.Parse(null, null));
    }

    private static ReadOnlySpan<byte> Body => "some segment bytes"u8;

    private static async Task<SegmentInfo> UploadOneAsync(IAmazonS3 s3, SseSettings? sse)
    {
        var options = new PublisherOptions { Location = Locations.Default, Workers = 1, Tries = 1, Sse = sse };
        using var slots = new SegmentSlots(1);
        using var buffers = new SegmentBufferFactory(null, "test");
        await slots.AcquireAsync(CancellationToken.None);
        var buffer = buffers.Create(1);
        buffer.Append(Body);
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateUnbounded<SegmentInfo>();
        await input.Writer.WriteAsync(new SealedSegment(1, 0, buffer));
        input.Writer.Complete();
        var uploader = new SegmentUploader(input.Reader, output.Writer, s3, slots, new StepRetry(1, NullLogger.Instance), options, new TransferProgress("publish"), TimeProvider.System, NullLogger<SegmentUploader>.Instance);
        await uploader.RunAsync(CancellationToken.None).WaitAsync(Deadlines.Generous);
        return await output.Reader.ReadAsync();
    }

    /// <summary>An S3 client that answers every PutObject itself with the given ETag, encryption header and checksum, and remembers the requests.</summary>
    private sealed class FakeS3(string etag, ServerSideEncryptionMethod? sse, string? crc64 = null) : AmazonS3Client(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
    {
        public List<PutObjectRequest> Puts { get; } = [];

        public override Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
        {
            lock (Puts)
            {
                Puts.Add(request);
            }
            return Task.FromResult(new PutObjectResponse { ETag = etag, ServerSideEncryptionMethod = sse, ChecksumCRC64NVME = crc64 });
        }
    }
}
