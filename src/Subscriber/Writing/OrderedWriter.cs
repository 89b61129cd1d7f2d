using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// Writes verified segments to the sink strictly in order, checks that each starts where the previous ended,
/// and at the end checks the byte count and the whole-stream SHA-256 against what the publisher recorded.
/// </summary>
internal sealed class OrderedWriter(
    ReorderWindow window,
    BroadcastTracker tracker,
    Stream sink,
    ILogger<OrderedWriter> logger,
    ResumePoint? resume = null,
    CheckpointAsync? checkpoint = null,
    TransferProgress? progress = null)
{
    private readonly IncrementalHash _sha256 = resume?.Hash ?? IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; } = resume?.Bytes ?? 0;

    /// <summary>Segments in the sink, counting those a resumed sink already had.</summary>
    public long SegmentsWritten { get; private set; } = resume?.Segments ?? 0;

    public string? StreamSha256 { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Writer started for {Broadcast}", tracker.Location);
        while (true)
        {
            var segment = await window.TakeNextAsync(ct).ConfigureAwait(false);
            if (segment.IsEnd)
            {
                break;
            }
            using (segment.Buffer)
            {
                if (segment.Info is { } info && info.Offset != BytesWritten)
                {
                    throw new FatalException(ExitCodes.Integrity,
                        $"segment {segment.Index} claims offset {info.Offset} but {BytesWritten} bytes came before it; refusing to write it");
                }
                segment.Buffer!.ForEachChunk(chunk => _sha256.AppendData(chunk));
                try
                {
                    await segment.Buffer.CopyToAsync(sink, ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new FatalException(ExitCodes.LocalIo, $"writing the output failed in segment {segment.Index} ({BytesWritten} bytes of earlier segments were written): {e.Message}", e);
                }
                BytesWritten += segment.Buffer.Length;
                SegmentsWritten++;
                progress?.AddSegment(segment.Buffer.Length);
            }
            if (checkpoint is not null)
            {
                // The bytes must be durable before the position that claims them.
                await FlushAsync(ct).ConfigureAwait(false);
                await checkpoint(SegmentsWritten, BytesWritten, ct).ConfigureAwait(false);
            }
            logger.LogInformation("Wrote segment {SegmentIndex} ({Bytes} bytes so far)", segment.Index, BytesWritten);
            window.Advance();
            tracker.NoteNews();
            progress?.SetLag(tracker.MaxKnownIndex - SegmentsWritten);
        }
        await FlushAsync(ct).ConfigureAwait(false);
        Verify();
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await sink.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new FatalException(ExitCodes.LocalIo, $"writing the output failed after {BytesWritten} bytes: {e.Message}", e);
        }
    }

    private void Verify()
    {
        var final = tracker.Final ?? throw new InvalidOperationException("the stream ended without a final count");
        StreamSha256 = Convert.ToHexStringLower(_sha256.GetHashAndReset());
        if (BytesWritten != final.Bytes)
        {
            throw new FatalException(ExitCodes.Integrity, $"the stream has {BytesWritten} bytes but the publisher recorded {final.Bytes}");
        }
        if (final.Sha256 is not null && !string.Equals(final.Sha256, StreamSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new FatalException(ExitCodes.Integrity, $"stream SHA-256 {StreamSha256} does not match the publisher's {final.Sha256}");
        }
        logger.LogInformation("Stream verified: {Bytes} bytes, sha256 {Sha256}", BytesWritten, StreamSha256);
    }
}
