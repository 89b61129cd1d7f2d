using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;

namespace S3Fanout.Bench;

/// <summary>
/// The publisher against an endpoint with flexible checksums. fauxqs 2.4.1 neither checks nor echoes
/// x-amz-checksum-crc64nvme, so on it the publisher falls back to Content-MD5 after its first PUT (and pays MD5 on every
/// byte); S3 checks the CRC and echoes it. This row runs the same publish through a proxy in this driver process that
/// does what S3 does (<see cref="PutChecksumRule"/>: check, refuse with BadDigest, echo), so the publisher keeps CRC-64/NVME
/// on the wire. The proxy's CPU is this driver's, not the client's; the row's MiB/s pays for it on the same 2 cores.
/// </summary>
internal sealed partial class Stages
{
    private async Task ChecksumEndpointAsync(int round)
    {
        var prefix = $"tool-crc/r{round + 1}";
        await Guard(["s3fanout.publish.crc_endpoint"], prefix, async () =>
        {
            await using var proxy = new FaultProxy(O.Endpoint, seed: 13);
            proxy.Rules.Add(new PutChecksumRule());
            var pub = await PublishAsync($"s3://{Bucket}/{prefix}", _baseFile, "s3fanout-publish (CRC-checking endpoint)", TransferTimeout(O.SizeBytes),
                endpoint: proxy.Endpoint.ToString().TrimEnd('/')).ConfigureAwait(false);
            Record(round, "s3fanout.publish.crc_endpoint", pub, O.SizeBytes);
        }).ConfigureAwait(false);
    }
}
