using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Buffers;

namespace S3Fanout.Publisher.Segmenting;

/// <summary>
/// Cuts the input into segments of the configured size, sealing a partial segment early once its first byte has
/// waited <see cref="PublisherOptions.FlushInterval"/>, so slow streams reach subscribers promptly.
/// The whole-stream SHA-256 is the next stage's (<see cref="StreamHasher"/>), on another core.
/// </summary>
internal sealed class StdinSegmenter(
    Stream input,
    SegmentBufferFactory buffers,
    SegmentSlots slots,
    PublisherOptions options,
    ChannelWriter<SealedSegment> output,
    TimeProvider time,
    ILogger<StdinSegmenter> logger)
{
    private SegmentBuffer? _current;
    private long _currentStartedAt;
    private long _nextIndex = 1;
    private long _sealedBytes;

    public long TotalBytes { get; private set; }

    public long SegmentCount => _nextIndex - 1;

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Segmenter started: {SegmentSize} byte segments, flush after {FlushInterval}", options.SegmentSizeBytes, options.FlushInterval);
        var chunk = new byte[options.ReadBufferBytes];
        Task<int>? pending = null;
        try
        {
            while (true)
            {
                pending ??= ReadAsync(chunk, ct);
                if (_current is { Length: > 0 })
                {
                    var left = options.FlushInterval - time.GetElapsedTime(_currentStartedAt);
                    if (left <= TimeSpan.Zero || !await ReadsBeforeAsync(pending, left, ct).ConfigureAwait(false))
                    {
                        ct.ThrowIfCancellationRequested();
                        await SealAsync(ct).ConfigureAwait(false);
                        continue;
                    }
                }
                // A read from a pipe or terminal does not observe the token, so an idle producer would keep
                // SIGINT/SIGTERM waiting until it writes again or closes; stop waiting for it instead.
                var n = await pending.WaitAsync(ct).ConfigureAwait(false);
                pending = null;
                if (n == 0)
                {
                    break;
                }
                TotalBytes += n;
                await AppendAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            if (_current is null && SegmentCount == 0)
            {
                // An empty stream is stored as one empty segment, so `cat 0*` and s3pipe2 readers still work.
                await StartSegmentAsync(ct).ConfigureAwait(false);
            }
            if (_current is not null)
            {
                await SealAsync(ct).ConfigureAwait(false);
            }
            output.Complete();
            logger.LogInformation("Segmenter finished: {Bytes} bytes in {Segments} segments", TotalBytes, SegmentCount);
        }
        catch (Exception e)
        {
            _current?.Dispose();
            if (e is IOException or UnauthorizedAccessException)
            {
                // The uploader sees the channel's error too and may report first: it must be the translated one, or a
                // stdin error would end the publisher as "internal error: IOException" (exit 1) instead of exit 9.
                var fatal = new FatalException(ExitCodes.LocalIo, $"reading stdin failed after {TotalBytes} bytes: {e.Message}", e);
                output.TryComplete(fatal);
                throw fatal;
            }
            output.TryComplete(e);
            throw;
        }
    }

    /// <summary>True when <paramref name="pending"/> finished within <paramref name="limit"/>; the timer is dropped either way.</summary>
    private async Task<bool> ReadsBeforeAsync(Task<int> pending, TimeSpan limit, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = await Task.WhenAny(pending, Task.Delay(limit, time, timer.Token)).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        return first == pending;
    }

    private async Task<int> ReadAsync(byte[] chunk, CancellationToken ct) =>
        await input.ReadAsync(chunk, ct).ConfigureAwait(false);

    private async Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            if (_current is null)
            {
                await StartSegmentAsync(ct).ConfigureAwait(false);
            }
            var take = (int)Math.Min(data.Length, options.SegmentSizeBytes - _current!.Length);
            _current.Append(data.Span[..take]);
            data = data[take..];
            if (_current.Length == options.SegmentSizeBytes)
            {
                await SealAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private async Task StartSegmentAsync(CancellationToken ct)
    {
        // Waiting here for a free slot is the backpressure: a slow S3 stops the reading of stdin.
        await slots.AcquireAsync(ct).ConfigureAwait(false);
        _current = buffers.Create(_nextIndex);
        _currentStartedAt = time.GetTimestamp();
    }

    private async Task SealAsync(CancellationToken ct)
    {
        var buffer = _current!;
        _current = null;
        var segment = new SealedSegment(_nextIndex++, _sealedBytes, buffer);
        _sealedBytes += buffer.Length;
        logger.LogDebug("Sealed segment {SegmentIndex}: {Size} bytes", segment.Index, buffer.Length);
        await output.WriteAsync(segment, ct).ConfigureAwait(false);
    }
}
