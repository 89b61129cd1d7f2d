using System.Globalization;
using System.Text;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3's answer to a CopyObject (a PUT with <c>x-amz-copy-source</c>): its CopyObjectResult carries
/// <c>ChecksumCRC64NVME</c>, "the Base64 encoded, 64-bit CRC64NVME checksum of the object", present when the source
/// was uploaded with CRC-64/NVME or without a checksum, as S3 then adds CRC-64/NVME by default
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObjectResult.html). fauxqs 2.4.1 copies the object and its
/// metadata but returns no checksum, even when asked with <c>x-amz-checksum-algorithm: CRC64NVME</c>.
/// </summary>
/// <remarks>
/// With <see cref="Report"/> the rule adds the CRC-64/NVME of the object as stored after the copy, as S3 does; without it
/// the answer stays the endpoint's (no checksum), which is what the relay's fallback is for. With <see cref="Damage"/>
/// the copy is stored with one byte inverted (its metadata kept), so the checksum reported, or the bytes downloaded,
/// differ from the source's: a damaged copy the relay must catch.
/// </remarks>
public sealed class CopyChecksumRule : AwsRule
{
    private int _copies;
    private int _damaged;

    /// <summary>Add ChecksumCRC64NVME to a successful copy's answer, as S3 does (default true).</summary>
    public bool Report { get; init; } = true;

    /// <summary>Store every copy with one byte inverted.</summary>
    public bool Damage { get; init; }

    /// <summary>Copies the endpoint answered with 200 through this rule.</summary>
    public int Copies => Volatile.Read(ref _copies);

    /// <summary>Copies this rule stored damaged.</summary>
    public int Damaged => Volatile.Read(ref _damaged);

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.S3 || request.Request.Method != "PUT" || request.Header("x-amz-copy-source") is null || request.HasQuery("partNumber"))
        {
            return null;
        }
        var headers = request.HeadersToForward().ToList();
        var answer = await request.AskUpstreamAsync("PUT", request.Request.Target, headers).ConfigureAwait(false);
        if (answer.Status != 200)
        {
            return Framed(answer.Head, answer.Body);
        }
        Interlocked.Increment(ref _copies);
        var target = request.Request.Target.Split('?', 2)[0];
        var stored = await request.AskUpstreamAsync("GET", target).ConfigureAwait(false);
        var bytes = stored.Body;
        if (Damage && bytes.Length > 0)
        {
            bytes = (byte[])bytes.Clone();
            bytes[bytes.Length / 2] ^= 0xFF;
            var metadata = stored.Head.Headers.Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
                .Append(new("Content-Type", "application/octet-stream"));
            await request.AskUpstreamAsync("PUT", target, metadata, bytes).ConfigureAwait(false);
            Interlocked.Increment(ref _damaged);
        }
        var body = answer.Body;
        if (Report)
        {
            var xml = Encoding.UTF8.GetString(body);
            var at = xml.LastIndexOf("</CopyObjectResult>", StringComparison.Ordinal);
            if (at >= 0)
            {
                xml = xml[..at] + $"<ChecksumCRC64NVME>{SegmentChecksum.Of(bytes)}</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>" + xml[at..];
                body = Encoding.UTF8.GetBytes(xml);
            }
        }
        return Framed(answer.Head, body);
    }

    /// <summary>The answer as the proxy writes a rule's own: framed by Content-Length, without the upstream connection's headers.</summary>
    private static RuleAnswer Framed(HttpHead head, byte[] body)
    {
        head.Remove("Transfer-Encoding");
        head.Remove("Connection");
        head.Remove("Keep-Alive");
        head.Set("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));
        return new RuleAnswer(head, body);
    }
}
