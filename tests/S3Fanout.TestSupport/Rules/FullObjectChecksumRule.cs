using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Xml.Linq;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3's CRC-64/NVME checksums of multipart uploads created with <c>x-amz-checksum-algorithm: CRC64NVME</c> and
/// <c>x-amz-checksum-type: FULL_OBJECT</c>, which the emulator does not give
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html, "Full object checksums for
/// multipart uploads"):
/// <list type="bullet">
/// <item>UploadPartCopy answers each copied part's CRC-64/NVME in <c>CopyPartResult/ChecksumCRC64NVME</c>
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html), computed here from the source bytes.</item>
/// <item>CompleteMultipartUpload checks a full-object <c>x-amz-checksum-crc64nvme</c> against the object's bytes and
/// refuses a mismatch with 400 BadDigest ("The Content-MD5 or checksum value that you specified did not match what
/// the server received", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), and answers the
/// object's value with <c>ChecksumType</c> FULL_OBJECT (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).</item>
/// <item>HeadObject with <c>x-amz-checksum-mode: ENABLED</c> answers the completed object's value
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).</item>
/// </list>
/// It also keeps which uploads were created, completed and aborted (the emulator has no ListMultipartUploads), so a
/// test can show that nothing was left behind.
/// </summary>
public sealed class FullObjectChecksumRule : AwsRule
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, byte[]>> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _aborted = new();
    private readonly ConcurrentQueue<string> _completed = new();

    /// <summary>False: copied parts get no checksum (an endpoint without them), the rest is unchanged.</summary>
    public bool CopyChecksums { get; init; } = true;

    /// <summary>Uploads created with a full-object CRC-64/NVME and neither completed nor aborted.</summary>
    public IReadOnlyCollection<string> OpenUploads => [.. _uploads.Keys.Except(_completed).Except(_aborted)];

    public IReadOnlyCollection<string> Aborted => _aborted;

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.S3 || request.Query("uploadId") is not { } uploadId || !_uploads.TryGetValue(uploadId, out var parts))
        {
            return null;
        }
        if (request.Request.Method == "PUT" && int.TryParse(request.Query("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            parts[number] = request.Header("x-amz-copy-source") is { } source ? await CopiedBytesAsync(request, source).ConfigureAwait(false) : request.Body;
            return null;
        }
        if (request.Request.Method == "POST" && request.Header("x-amz-checksum-crc64nvme") is { } claimed && Crc(Listed(request, parts)) != claimed)
        {
            return RuleAnswer.Error(AwsService.S3, 400, "BadDigest", "The Content-MD5 or checksum value that you specified did not match what the server received.");
        }
        if (request.Request.Method == "DELETE")
        {
            _aborted.Enqueue(uploadId);
        }
        return null;
    }

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service != AwsService.S3 || answer.Status != 200)
        {
            return answer;
        }
        if (request.Request.Method == "POST" && request.HasQuery("uploads") && request.Header("x-amz-checksum-algorithm")?.ToUpperInvariant() == "CRC64NVME"
            && request.Header("x-amz-checksum-type")?.ToUpperInvariant() == "FULL_OBJECT")
        {
            var id = XDocument.Parse(answer.Text).Descendants().First(e => e.Name.LocalName == "UploadId").Value;
            _uploads[id] = new();
            return answer;
        }
        if (request.Request.Method == "HEAD" && request.Header("x-amz-checksum-mode") == "ENABLED" && _objects.TryGetValue(request.Bucket + "/" + request.Key, out var stored))
        {
            answer.Head.Set("x-amz-checksum-crc64nvme", stored);
            answer.Head.Set("x-amz-checksum-type", "FULL_OBJECT");
            return answer;
        }
        if (request.Query("uploadId") is not { } uploadId || !_uploads.TryGetValue(uploadId, out var parts))
        {
            return answer;
        }
        if (request.Request.Method == "PUT" && request.Header("x-amz-copy-source") is not null && CopyChecksums
            && int.TryParse(request.Query("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return WithElement(answer, "ChecksumCRC64NVME", Crc(parts[number]));
        }
        if (request.Request.Method == "POST")
        {
            var crc = Crc(Listed(request, parts));
            _completed.Enqueue(uploadId);
            _objects[request.Bucket + "/" + request.Key] = crc;
            return WithElement(WithElement(answer, "ChecksumCRC64NVME", crc), "ChecksumType", "FULL_OBJECT");
        }
        return answer;
    }

    private static async Task<byte[]> CopiedBytesAsync(RuleRequest request, string source)
    {
        var path = "/" + Uri.UnescapeDataString(source.Split('?', 2)[0]).TrimStart('/');
        var headers = request.Header("x-amz-copy-source-range") is { } range ? new[] { new KeyValuePair<string, string>("Range", range) } : [];
        var got = await request.AskUpstreamAsync("GET", string.Join('/', path.Split('/').Select(Uri.EscapeDataString)), headers).ConfigureAwait(false);
        return got.Body;
    }

    private static IEnumerable<byte[]> Listed(RuleRequest request, ConcurrentDictionary<int, byte[]> parts) =>
        XDocument.Parse(request.Body.Length == 0 ? "<CompleteMultipartUpload/>" : Encoding.UTF8.GetString(request.Body))
            .Descendants().Where(e => e.Name.LocalName == "PartNumber")
            .Select(e => parts.GetValueOrDefault(int.Parse(e.Value, NumberStyles.None, CultureInfo.InvariantCulture)) ?? []);

    private static string Crc(byte[] data) => Crc(new[] { data });

    private static string Crc(IEnumerable<byte[]> data)
    {
        var crc = new Crc64(Crc64ParameterSet.Nvme);
        foreach (var piece in data)
        {
            crc.Append(piece);
        }
        // S3 writes the value as base64 of its big-endian bytes.
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, crc.GetCurrentHashAsUInt64());
        return Convert.ToBase64String(bytes);
    }

    private static RuleAnswer WithElement(RuleAnswer answer, string name, string value)
    {
        var document = XDocument.Parse(answer.Text);
        var root = document.Root!;
        root.Add(new XElement(root.Name.Namespace + name, value));
        var body = Encoding.UTF8.GetBytes(document.Declaration + document.ToString(SaveOptions.DisableFormatting));
        answer.Head.Set("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));
        return answer with { Body = body };
    }
}
