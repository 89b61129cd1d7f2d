using System.Text;
using Amazon.S3;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Archive;

/// <summary>
/// <see cref="PlainPut"/> with <see cref="WireChecksum"/>: the CRC-64/NVME header instead of Content-MD5, S3's echoed CRC
/// checked, and the fall-back to Content-MD5 for the rest of the run when an endpoint answers without one.
/// </summary>
public sealed class WireChecksumPutTests
{
    private static readonly string Text = "# s3fanout checksums\n1 0 5 AAAAAAAAAAA=\n";
    private static readonly string Crc = SegmentChecksum.Of(Encoding.UTF8.GetBytes(Text));

    [Fact]
    public async Task A_PUT_carries_the_CRC64_NVME_and_no_Content_MD5_and_the_echoed_CRC_is_accepted()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { AnswerCrc64 = Crc };
        var checksum = Crc64Checksum();

        await WriteAsync(s3, checksum, Text);

        var request = Assert.Single(s3.PutRequests);
        Assert.Equal(Crc, request.ChecksumCRC64NVME);
        Assert.True(string.IsNullOrEmpty(request.MD5Digest), $"Content-MD5 {request.MD5Digest} was sent");
        Assert.True(checksum.SendsCrc);
    }

    [Fact]
    public async Task An_echoed_CRC_other_than_the_body_s_fails_with_exit_7_may_be_retried_and_names_the_stored_object()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { AnswerCrc64 = SegmentChecksum.Of([9]) };

        var e = await Assert.ThrowsAsync<FatalException>(() => WriteAsync(s3, Crc64Checksum(), Text));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.True(e.Retryable);
        Assert.NotNull(PlainPut.StoredETagOf(e));
    }

    [Fact]
    public async Task Without_an_echoed_CRC_the_ETag_is_checked_as_MD5_and_every_later_PUT_sends_Content_MD5()
    {
        var s3 = new InMemoryS3(TimeProvider.System);
        var checksum = Crc64Checksum();

        await WriteAsync(s3, checksum, Text);
        await WriteAsync(s3, checksum, Text + "2 5 5 AAAAAAAAAAA=\n");

        Assert.False(checksum.SendsCrc);
        var requests = s3.PutRequests.ToArray();
        Assert.Equal(Crc, requests[0].ChecksumCRC64NVME);
        Assert.False(string.IsNullOrEmpty(requests[1].MD5Digest));
        Assert.True(string.IsNullOrEmpty(requests[1].ChecksumCRC64NVME));
    }

    [Fact]
    public async Task Without_an_echoed_CRC_an_ETag_other_than_the_body_s_MD5_fails_with_exit_7_and_may_be_retried()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { WrongEtag = "\"0f343b0931126a20f133d67c2b018a3b\"" };

        var e = await Assert.ThrowsAsync<FatalException>(() => WriteAsync(s3, Crc64Checksum(), Text));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.True(e.Retryable);
    }

    [Fact]
    public async Task Without_an_echoed_CRC_and_with_a_KMS_ETag_nothing_checked_the_body_so_it_is_stored_again_with_Content_MD5()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { WrongEtag = "\"kms-etag\"" };
        var checksum = Crc64Checksum();
        var kms = new SseSettings(ServerSideEncryptionMethod.AWSKMS, "alias/k");

        var e = await Assert.ThrowsAsync<FatalException>(() => WriteAsync(s3, checksum, Text, kms));
        await WriteAsync(s3, checksum, Text, kms);

        Assert.True(e.Retryable);
        Assert.Contains("storing it again with Content-MD5", e.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(s3.PutRequests.Last().MD5Digest));
    }

    private static WireChecksum Crc64Checksum() => new(WireChecksumMode.Crc64Nvme, NullLogger.Instance);

    private static async Task WriteAsync(IAmazonS3 s3, WireChecksum checksum, string text, SseSettings? sse = null)
    {
        var store = new BroadcastStore(s3, 1, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
        await store.WriteChecksumsAsync(Locations.Default, body, new PutSettings { Checksum = checksum, Sse = sse }, condition: null, CancellationToken.None);
    }
}
