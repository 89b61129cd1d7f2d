using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Reading;
using Xunit;

namespace S3Fanout.UnitTests.Reading;

/// <summary>
/// An s3pipe2 segment records no checksum, so its body is checked against the ETag, but only when the GET's answer says
/// the ETag is an MD5: the fetcher passes no ETag for an object encrypted with SSE-KMS, DSSE-KMS or SSE-C.
/// </summary>
public sealed class S3pipe2EtagCheckTests
{
    private const string Md5 = "0f343b0931126a20f133d67c2b018a3b";
    private const string OtherHex = "5533ad28c13e85fa2fd20d0e2fe8e09e";

    [Fact]
    public void An_MD5_ETag_that_differs_from_the_body_s_MD5_fails_the_segment() =>
        Assert.Contains(OtherHex, Assert.Throws<SegmentCorruptException>(() => Check($"\"{OtherHex}\"")).Message, StringComparison.Ordinal);

    [Fact]
    public void An_MD5_ETag_equal_to_the_body_s_MD5_passes() => Assert.Null(Check($"\"{Md5.ToUpperInvariant()}\""));

    [Fact]
    public void An_encrypted_object_s_ETag_is_not_compared() => Assert.Null(Check(null));

    [Fact]
    public void A_multipart_ETag_is_not_compared() => Assert.Null(Check($"\"{OtherHex}-3\""));

    private static object? Check(string? md5Etag) =>
        SegmentVerification.CheckBody(1, 10, 10, "AAAAAAAAAAA=", expected: null, fromMetadata: null, legacy: true, Md5, md5Etag);
}
