using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// Takes verified segments strictly in order, checks that each starts where the previous ended, hashes the stream and
/// writes it to the sink (none for verify); at the end it checks the byte count and the whole-stream SHA-256 against
/// what the publisher recorded. Under <see cref="FailurePolicy.RecordAndContinue"/> a bad segment is noted instead, and
/// the stream checks are left to the caller (a gap makes them meaningless).
/// </summary>
internal sealed class OrderedWriter(
    ReorderWindow window,
    BroadcastTracker tracker,
    Stream? sink,
    FailurePolicy policy,
    ILogger<OrderedWriter> logger,
    ResumePoint? resume = null,
    CheckpointAsync? checkpoint = null,
    TransferProgress? progress = null)
{
    private readonly IncrementalHash _sha256 = resume?.Hash ?? IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<SegmentProblem> _bad = [];
    private readonly List<SegmentProblem> _failed = [];

    public long BytesWritten { get; private set; } = resume?.Bytes ?? 0;

    /// <summary>Segments in the sink (or verified, without one), counting those a resumed sink already had.</summary>
    public long SegmentsWritten { get; private set; } = resume?.Segments ?? 0;

    /// <summary>The stream SHA-256 once the end was reached with no gap; null otherwise.</summary>
    public string? StreamSha256 { get; private set; }

    public IReadOnlyList<SegmentProblem> Bad => _bad;

    public IReadOnlyList<SegmentProblem> Failed => _failed;

    private bool Whole => _bad.Count == 0 && _failed.Count == 0;

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
            if (segment.Error is { } error)
            {
                throw error; // every segment before this one is written; a sink never receives a gap
            }
            if ((segment.Problem ?? OffsetProblem(segment)) is { } problem)
            {
                segment.Buffer?.Dispose();
                (segment.IsBad || segment.Problem is null ? _bad : _failed).Add(problem);
            }
            else
            {
                await WriteAsync(segment, ct).ConfigureAwait(false);
            }
            window.Advance();
            tracker.Forget(segment.Index);
            tracker.NoteNews();
            progress?.SetLag(tracker.MaxKnownIndex - SegmentsWritten);
        }
        await FlushAsync(ct).ConfigureAwait(false);
        if (Whole)
        {
            StreamSha256 = Convert.ToHexStringLower(_sha256.GetHashAndReset());
            if (policy == FailurePolicy.AbortOnFirstBadSegment)
            {
                VerifyStream();
            }
        }
    }

    /// <summary>Offsets mean something only while every segment before this one was whole.</summary>
    private SegmentProblem? OffsetProblem(FetchedSegment segment)
    {
        if (!Whole)
        {
            return null;
        }
        try
        {
            SegmentVerification.CheckOffset(segment.Index, segment.Info, BytesWritten);
            return null;
        }
        catch (FatalException e) when (policy == FailurePolicy.RecordAndContinue)
        {
            return new SegmentProblem(segment.Index, KeyLayout.SegmentKey(tracker.Location.Prefix, segment.Index), e.Message);
        }
    }

    private async Task WriteAsync(FetchedSegment segment, CancellationToken ct)
    {
        using (segment.Buffer)
        {
            // The segment is verified (size, CRC-64/NVME, offset); the sink write and the stream SHA-256 only read its
            // buffer, so they run at once: the write on the thread pool, the hash here. The SHA-256 is one sequential pass
            // (the largest cost per byte here), so this keeps it off the write's critical path. The buffer is released
            // only after both finished: the write is awaited even if hashing failed.
            var write = sink is null ? Task.CompletedTask : Task.Run(() => WriteOutAsync(segment, sink, ct), ct);
            try
            {
                if (Whole)
                {
                    segment.Buffer!.ForEachChunk(chunk => _sha256.AppendData(chunk));
                }
            }
            finally
            {
                await write.ConfigureAwait(false);
            }
            BytesWritten += segment.Buffer!.Length;
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
    }

    /// <summary>Writes one segment to the sink in the buffer's own pieces (1 MiB blocks; no copy), translating I/O errors.</summary>
    private async Task WriteOutAsync(FetchedSegment segment, Stream output, CancellationToken ct)
    {
        try
        {
            await segment.Buffer!.CopyToAsync(output, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new FatalException(ExitCodes.LocalIo, $"writing the output failed in segment {segment.Index} ({BytesWritten} bytes of earlier segments were written): {e.Message}", e);
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        if (sink is null)
        {
            return;
        }
        try
        {
            await sink.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new FatalException(ExitCodes.LocalIo, $"writing the output failed after {BytesWritten} bytes: {e.Message}", e);
        }
    }

    private void VerifyStream()
    {
        var final = tracker.Final ?? throw new InvalidOperationException("the stream ended without a final count");
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
