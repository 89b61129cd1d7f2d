using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;
using System.Text.RegularExpressions;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// A bucket whose default encryption is SSE-KMS, optionally with a bucket policy that requires one KMS key. The emulator
/// stores objects unencrypted and answers with the body's MD5 as ETag; this rule gives AWS's answers instead.
/// </summary>
/// <remarks>
/// <para>Objects created by PutObject or CopyObject and encrypted with SSE-KMS have ETags that are not the MD5 of their
/// data (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag). Every PutObject, UploadPart,
/// CompleteMultipartUpload, CopyObject, GetObject and HeadObject answer for such an object carries
/// <c>x-amz-server-side-encryption: aws:kms</c> and <c>x-amz-server-side-encryption-aws-kms-key-id</c>
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, response headers). Here the ETag is the upstream
/// MD5 with every byte XOR-ed with a fixed mask: 32 hex digits, never the MD5, the same on the PUT and every later GET
/// or HEAD, and reversible, so the part ETags a client sends back in CompleteMultipartUpload can be restored for the emulator.
/// A GetObject or HeadObject with <c>If-Match</c> or <c>If-None-Match</c> is compared with the ETag S3 gave, the masked
/// one ("return the object only if its entity tag (ETag) is the same as the one specified in this header; otherwise,
/// return a 412 Precondition Failed error", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), so the
/// rule restores the emulator's ETag in those headers before the request goes on.</para>
/// <para>Keys: a PUT that names <c>x-amz-server-side-encryption-aws-kms-key-id</c> is encrypted with that key; one that
/// asks for <c>aws:kms</c> without a key gets the AWS managed key <c>aws/s3</c> (API_PutObject.html,
/// SSEKMSKeyId); one that asks for nothing gets the bucket default key
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html); one that asks for AES256
/// is stored with SSE-S3 and keeps its MD5 ETag.</para>
/// <para>A bucket policy that requires one KMS key is <see cref="RequireSseRule"/> with its
/// <see cref="RequireSseRule.RequiredKeyId"/>, added before this rule.</para>
/// <para>Checksums: S3 validates and stores a checksum the same way whatever the encryption
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html), and a PutObject answer carries
/// <c>x-amz-checksum-crc64nvme</c> when the object was uploaded with that algorithm or with none, S3 then adding it by
/// default (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, ChecksumCRC64NVME). The emulator
/// returns a checksum only when one was sent, so for a PutObject that sent none this rule adds the CRC-64/NVME of the
/// body it received, as S3 does.</para>
/// </remarks>
public sealed partial class DefaultKmsEncryptionRule(string bucket, string? defaultKeyId = null) : AwsRule
{
    /// <summary>What S3 reports for the AWS managed key <c>aws/s3</c> in this test account.</summary>
    public const string AwsManagedKeyId = "arn:aws:kms:us-east-1:000000000000:alias/aws/s3";

    private const string SseHeader = "x-amz-server-side-encryption";
    private const string KeyHeader = "x-amz-server-side-encryption-aws-kms-key-id";
    private static readonly byte[] MaskBytes = Convert.FromHexString("5a3c96e1f00fa55a3cc3e11e0ff05aa5");
    private readonly ConcurrentDictionary<string, string> _keyByObject = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _keyByUpload = new(StringComparer.Ordinal);

    public string Bucket { get; } = bucket;

    /// <summary>The bucket's default KMS key (its default encryption's KMSMasterKeyID), or <c>aws/s3</c>.</summary>
    public string DefaultKeyId { get; } = defaultKeyId ?? AwsManagedKeyId;

    /// <summary>Every object written through the rule and the KMS key it was encrypted with ("AES256" for SSE-S3).</summary>
    public IReadOnlyDictionary<string, string> Written => _keyByObject;

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Applies(request))
        {
            return null;
        }
        if (request.Operation is "GET" or "HEAD" && request.Key.Length > 0 && _keyByObject.GetValueOrDefault(request.Key, DefaultKeyId) != "AES256")
        {
            foreach (var header in new[] { "If-Match", "If-None-Match" })
            {
                if (request.Header(header) is { } given)
                {
                    request.Request.Head.Set(header, Masked(given));
                }
            }
            return null;
        }
        if (request.Operation == "POST" && request.Query("uploadId") is { } uploadId)
        {
            // CompleteMultipartUpload: the client sends back the part ETags it was given; the emulator knows the real ones.
            var body = EtagElement().Replace(Encoding.UTF8.GetString(request.Body), m => $"<ETag>{Masked(m.Groups[1].Value)}</ETag>");
            var answer = await request.AskUpstreamAsync("POST", request.Request.Target,
                [new("Content-Type", request.Header("Content-Type") ?? "application/xml")], Encoding.UTF8.GetBytes(body)).ConfigureAwait(false);
            if (answer.Status == 200 && _keyByUpload.TryGetValue(uploadId, out var key))
            {
                _keyByObject[request.Key] = key;
            }
            return After(request, answer);
        }
        return null;
    }

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (!Applies(request) || request.Key.Length == 0 || answer.Status is not (200 or 206 or 304))
        {
            return answer;
        }
        string key;
        if (request.Operation == "PUT" && request.Query("uploadId") is { } partOf)
        {
            key = _keyByUpload.GetValueOrDefault(partOf, DefaultKeyId);
        }
        else if (request.Operation == "PUT" || (request.Operation == "POST" && request.HasQuery("uploads")))
        {
            key = KeyAskedFor(request);
            if (request.HasQuery("uploads") && UploadIdElement().Match(answer.Text) is { Success: true } id)
            {
                _keyByUpload[id.Groups[1].Value] = key;
            }
            else
            {
                _keyByObject[request.Key] = key;
            }
        }
        else if (request.Operation is "GET" or "HEAD" or "POST")
        {
            key = _keyByObject.GetValueOrDefault(request.Key, DefaultKeyId);
        }
        else
        {
            return answer;
        }
        if (request.Operation == "PUT" && !request.HasQuery("uploadId") && request.Header("x-amz-copy-source") is null
            && !answer.Head.Headers.Any(h => h.Key.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase)))
        {
            var crc = new Crc64(Crc64ParameterSet.Nvme);
            crc.Append(request.Body);
            var value = new byte[8]; // base64 of the big-endian value, as S3 writes it
            BinaryPrimitives.WriteUInt64BigEndian(value, crc.GetCurrentHashAsUInt64());
            answer.Head.Set("x-amz-checksum-crc64nvme", Convert.ToBase64String(value));
        }
        if (key == "AES256")
        {
            answer.Head.Set(SseHeader, "AES256");
            return answer;
        }
        answer.Head.Set(SseHeader, "aws:kms");
        answer.Head.Set(KeyHeader, key);
        if (answer.Head.Get("ETag") is { } etag)
        {
            answer.Head.Set("ETag", Masked(etag));
        }
        // CopyObject and CompleteMultipartUpload carry the new object's ETag in their XML body.
        return answer.Body.Length > 0 && request.Operation is "PUT" or "POST" && answer.Text.Contains("<ETag>", StringComparison.Ordinal)
            ? answer with { Body = Encoding.UTF8.GetBytes(EtagElement().Replace(answer.Text, m => $"<ETag>{Masked(m.Groups[1].Value)}</ETag>")) }
            : answer;
    }

    private bool Applies(RuleRequest request) => request.Service == AwsService.S3 && request.Bucket == Bucket;

    private string KeyAskedFor(RuleRequest request) => request.Header(SseHeader) switch
    {
        "AES256" => "AES256",
        "aws:kms" or "aws:kms:dsse" => request.Header(KeyHeader) ?? AwsManagedKeyId,
        _ => DefaultKeyId,
    };

    /// <summary>
    /// A quoted ETag (<c>"hex"</c> or <c>"hex-N"</c>, also XML-escaped as <c>&amp;quot;</c>) with its hex XOR-ed with
    /// the mask; XOR is its own inverse, so the same call restores the emulator's ETag.
    /// </summary>
    private static string Masked(string etag)
    {
        var match = HexPart().Match(etag);
        if (!match.Success)
        {
            return etag;
        }
        var bytes = Convert.FromHexString(match.Value);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= MaskBytes[i];
        }
        return string.Concat(etag.AsSpan(0, match.Index), Convert.ToHexStringLower(bytes), etag.AsSpan(match.Index + match.Length));
    }

    [GeneratedRegex("[0-9a-fA-F]{32}", RegexOptions.CultureInvariant)]
    private static partial Regex HexPart();

    [GeneratedRegex("<ETag>(.*?)</ETag>", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex EtagElement();

    [GeneratedRegex("<UploadId>(.*?)</UploadId>", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UploadIdElement();
}
