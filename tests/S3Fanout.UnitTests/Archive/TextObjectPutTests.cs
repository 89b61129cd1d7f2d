using System.Security.Cryptography;
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
/// <c>.manifest</c> and <c>.checksums</c> are PUT the way segments are (<see cref="PlainPut"/>): one plain body, no
/// aws-chunked framing (which some S3 implementations store inside the object), Content-MD5, the publisher's SSE, and an
/// ETag that must be the body's MD5 unless S3 answered that it encrypted with KMS.
/// </summary>
public sealed class TextObjectPutTests
{
    private static readonly PutSettings Kms = new() { Sse = new SseSettings(ServerSideEncryptionMethod.AWSKMS, "alias/k") };

    [Fact]
    public async Task Manifest_and_checksums_are_sent_unframed_with_Content_MD5_and_the_publishers_SSE()
    {
        var s3 = new InMemoryS3(TimeProvider.System);
        var store = new ManifestStore(Store(s3), Locations.Default, Kms);
        await store.WriteAsync(new Manifest { Version = "0.1", SegmentSizeMb = 1, UploadBegan = DateTimeOffset.UnixEpoch }, CancellationToken.None);
        await store.WriteChecksumsAsync(Index(new SegmentInfo(1, 0, 5, "AAAAAAAAAAA=")), CancellationToken.None);

        Assert.Equal([KeyLayout.ManifestKey(Locations.Default.Prefix), KeyLayout.ChecksumsKey(Locations.Default.Prefix)], s3.PutRequests.Select(r => r.Key));
        foreach (var (request, (_, body)) in s3.PutRequests.Zip(s3.Puts))
        {
            Assert.False(request.UseChunkEncoding, $"{request.Key} must not be sent with aws-chunked framing");
            Assert.Equal(Convert.ToBase64String(Md5(body)), request.MD5Digest);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, request.ServerSideEncryptionMethod);
            Assert.Equal("alias/k", request.ServerSideEncryptionKeyManagementServiceKeyId);
        }
    }

    [Fact]
    public async Task A_text_object_whose_ETag_is_not_its_MD5_fails_with_exit_7_and_may_be_retried()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { WrongEtag = "\"0f343b0931126a20f133d67c2b018a3b\"" };
        var store = new ManifestStore(Store(s3), Locations.Default, PutSettings.Default);

        var e = await Assert.ThrowsAsync<FatalException>(() => store.WriteChecksumsAsync(Index(new SegmentInfo(1, 0, 5, "AAAAAAAAAAA=")), CancellationToken.None));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.True(e.Retryable);
        Assert.Contains($"{Locations.Default}/{KeyLayout.ChecksumsName}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_SSE_KMS_a_text_object_whose_ETag_is_not_its_MD5_is_stored()
    {
        var s3 = new InMemoryS3(TimeProvider.System) { WrongEtag = "\"0f343b0931126a20f133d67c2b018a3b-kms\"" };
        await new ManifestStore(Store(s3), Locations.Default, Kms).WriteChecksumsAsync(Index(), CancellationToken.None);
        Assert.Single(s3.Puts);
    }

    private static BroadcastStore Store(IAmazonS3 s3) => new(s3, 1, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);

    /// <summary>An index as the publisher's spool hands it over: a seekable stream of its lines.</summary>
    private static MemoryStream Index(params SegmentInfo[] segments) => new(Encoding.UTF8.GetBytes(ChecksumIndexCodec.Format(segments)), writable: false);

    private static byte[] Md5(string text)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(Encoding.UTF8.GetBytes(text));
        return md5.GetHashAndReset();
    }
}
