using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3's multipart limits: part numbers 1 to 10,000, and every part except the last at least 5 MiB
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html: "Part size 5 MiB to 5 GiB. There is no minimum
/// size limit on the last part of your multipart upload."). S3 checks the size when the upload is completed:
/// CompleteMultipartUpload answers 400 EntityTooSmall, "Your proposed upload is smaller than the minimum allowed
/// object size. Each part must be at least 5 MB in size, except the last part."
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html), and UploadPart answers a part
/// number outside 1..10,000 with 400 InvalidArgument (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html).
/// <para>The rule records the size of every part it sees, uploaded (UploadPart) or copied (UploadPartCopy, from its
/// <c>x-amz-copy-source-range</c>, else the source object's size), and every completed upload's part sizes in order,
/// so a test can assert what was sent, not only what was refused.</para>
/// </summary>
public sealed class MultipartPartSizeRule : AwsRule
{
    public const long FiveMiB = 5L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, PartSent>> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CompletedUpload> _completed = new();

    public long MinPartBytes { get; init; } = FiveMiB;

    public int MaxParts { get; init; } = 10_000;

    /// <summary>Uploads that this rule let complete, with their part sizes in part order.</summary>
    public IReadOnlyCollection<CompletedUpload> Completed => _completed;

    /// <summary>Every part seen (uploaded or copied), across all uploads.</summary>
    public IReadOnlyList<PartSent> PartsSent => [.. _uploads.Values.SelectMany(u => u.Values)];

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.S3 || request.Query("uploadId") is not { } uploadId)
        {
            return null;
        }
        if (request.Request.Method == "PUT" && request.Query("partNumber") is { } number)
        {
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var part) || part < 1 || part > MaxParts)
            {
                return RuleAnswer.Error(AwsService.S3, 400, "InvalidArgument",
                    string.Create(CultureInfo.InvariantCulture, $"Part number must be an integer between 1 and {MaxParts}, inclusive"));
            }
            var size = await PartSizeAsync(request).ConfigureAwait(false);
            _uploads.GetOrAdd(uploadId, _ => new())[part] = new PartSent(uploadId, part, size, request.Header("x-amz-copy-source") is not null);
            return null;
        }
        if (request.Request.Method == "POST")
        {
            var listed = XDocument.Parse(request.Body.Length == 0 ? "<CompleteMultipartUpload/>" : System.Text.Encoding.UTF8.GetString(request.Body))
                .Descendants().Where(e => e.Name.LocalName == "PartNumber")
                .Select(e => int.Parse(e.Value, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
            var parts = _uploads.GetValueOrDefault(uploadId) ?? new();
            var sizes = listed.Select(n => parts.TryGetValue(n, out var p) ? p.Bytes : -1).ToList();
            for (var i = 0; i < sizes.Count - 1; i++)
            {
                if (sizes[i] >= 0 && sizes[i] < MinPartBytes)
                {
                    return RuleAnswer.Error(AwsService.S3, 400, "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed object size. Each part must be at least 5 MB in size, except the last part.");
                }
            }
            _completed.Enqueue(new CompletedUpload(request.Bucket, request.Key, sizes));
        }
        return null;
    }

    private static async Task<long> PartSizeAsync(RuleRequest request)
    {
        if (request.Header("x-amz-copy-source") is not { } source)
        {
            // aws-chunked bodies carry their payload length here; a plain body is the payload.
            return long.TryParse(request.Header("x-amz-decoded-content-length"), NumberStyles.None, CultureInfo.InvariantCulture, out var decoded)
                ? decoded
                : request.Body.Length;
        }
        if (request.Header("x-amz-copy-source-range") is { } range && range.Split('=', 2) is [_, var span] && span.Split('-') is [var first, var last])
        {
            return long.Parse(last, NumberStyles.None, CultureInfo.InvariantCulture) - long.Parse(first, NumberStyles.None, CultureInfo.InvariantCulture) + 1;
        }
        var path = "/" + Uri.UnescapeDataString(source.Split('?', 2)[0]).TrimStart('/');
        var head = await request.AskUpstreamAsync("HEAD", string.Join('/', path.Split('/').Select(Uri.EscapeDataString))).ConfigureAwait(false);
        return head.Head.ContentLength ?? -1;
    }
}

/// <summary>One part as the rule saw it; <see cref="Bytes"/> is -1 when its size could not be known.</summary>
public sealed record PartSent(string UploadId, int PartNumber, long Bytes, bool Copied);

/// <summary>A completed multipart upload: its part sizes in the order listed (-1: a part the rule never saw).</summary>
public sealed record CompletedUpload(string Bucket, string Key, IReadOnlyList<long> PartBytes);
