using System.Globalization;
using System.Security.Cryptography;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3's integrity check of a PutObject, which fauxqs 2.4.1 and s3rver 3.7.1 lack (neither verifies
/// <c>x-amz-checksum-crc64nvme</c> nor Content-MD5, and neither answers with a CRC-64/NVME). S3 computes the checksum of
/// what it received with the algorithm the request names and "validates it with the provided value before storing the
/// object" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html); a mismatch, of a
/// checksum header or of Content-MD5, is 400 BadDigest (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html;
/// S3's messages: "The CRC64NVME you specified did not match the calculated checksum.", "The Content-MD5 you specified
/// did not match what we received."). A stored object's answer carries <c>x-amz-checksum-crc64nvme</c> when it was
/// uploaded with that algorithm or with no checksum, S3 then adding CRC-64/NVME by default, and
/// <c>x-amz-checksum-type: FULL_OBJECT</c> (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
/// </summary>
/// <remarks>
/// With <see cref="DamageInTransit"/>, the first PUT of each matching key has one byte of its body inverted after the
/// client computed its headers, as a bit flipped on the way would; S3 then refuses it by its checksum, and stores it
/// damaged only when the request carried none. Copies (<c>x-amz-copy-source</c>) and parts are not this rule's.
/// </remarks>
public sealed class PutChecksumRule : AwsRule
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _damaged = new(StringComparer.Ordinal);

    /// <summary>Keys ("bucket/key") whose first PUT is damaged on the way; null: none.</summary>
    public Func<string, bool>? DamageInTransit { get; init; }

    /// <summary>PUTs this rule damaged on the way.</summary>
    public int Damaged => _damaged.Count;

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsObjectPut(request))
        {
            return null;
        }
        var body = request.Body;
        var id = request.Bucket + "/" + request.Key;
        var damage = DamageInTransit?.Invoke(id) == true && body.Length > 0 && _damaged.TryAdd(id, 0);
        if (damage)
        {
            body = (byte[])body.Clone();
            body[body.Length / 2] ^= 0xFF;
        }
        if (request.Header("x-amz-checksum-crc64nvme") is { } crc && crc != SegmentChecksum.Of(body))
        {
            return RuleAnswer.Error(AwsService.S3, 400, "BadDigest", "The CRC64NVME you specified did not match the calculated checksum.");
        }
        if (request.Header("Content-MD5") is { } md5 && md5 != Convert.ToBase64String(Md5(body)))
        {
            return RuleAnswer.Error(AwsService.S3, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
        }
        if (!damage)
        {
            return null; // forwarded as sent; the answer gets its checksum in After
        }
        var headers = request.HeadersToForward();
        var answer = await request.AskUpstreamAsync("PUT", request.Request.Target, headers, body).ConfigureAwait(false);
        return WithChecksum(answer, body);
    }

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        return IsObjectPut(request) && answer.Head.Get("x-amz-checksum-crc64nvme") is null ? WithChecksum(answer, request.Body) : answer;
    }

    /// <summary>The MD5 S3 computes to check Content-MD5 (a digest the protocol names, not a security choice).</summary>
    public static byte[] Md5(byte[] body)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(body);
        return md5.GetHashAndReset();
    }

    private static bool IsObjectPut(RuleRequest request) =>
        request.Service == AwsService.S3 && request.Request.Method == "PUT" && request.Key.Length > 0
        && request.Header("x-amz-copy-source") is null && !request.HasQuery("partNumber") && !request.HasQuery("uploadId");

    private static RuleAnswer WithChecksum(RuleAnswer answer, byte[] stored)
    {
        if (answer.Status != 200)
        {
            return answer;
        }
        answer.Head.Set("x-amz-checksum-crc64nvme", SegmentChecksum.Of(stored));
        answer.Head.Set("x-amz-checksum-type", "FULL_OBJECT");
        answer.Head.Remove("Transfer-Encoding");
        answer.Head.Set("Content-Length", answer.Body.Length.ToString(CultureInfo.InvariantCulture));
        return answer;
    }
}
