using System.Buffers;
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
    private CancellationTokenSource? _flushTimer;
    private Task? _flushDue;
    private CancellationToken _stopping;
    private long _nextIndex = 1;
    private long _sealedBytes;

    public long TotalBytes { get; private set; }

    public long SegmentCount => _nextIndex - 1;

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Segmenter started: {SegmentSize} byte segments, flush after {FlushInterval}", options.SegmentSizeBytes, options.FlushInterval);
        _stopping = ct;
        Task<int>? pending = null;
        Memory<byte> target = default;
        // Memory that a segment sealed by the flush timer gave up while a read into it was under way (see below).
        IMemoryOwner<byte>? detached = null;
        try
        {
            while (true)
            {
                if (pending is null)
                {
                    // Each read goes straight into the segment's own memory: stdin is copied once, by the kernel. Waiting
                    // for a free segment slot here is the backpressure: a slow S3 stops the reading of stdin.
                    _current ??= await StartSegmentAsync(ct).ConfigureAwait(false);
                    target = _current.GetReadSpace((int)Math.Min(options.ReadBufferBytes, options.SegmentSizeBytes - _current.Length));
                    pending = ReadAsync(target, ct);
                }
                if (_current is { Length: > 0 })
                {
                    if (await Task.WhenAny(pending, _flushDue!).ConfigureAwait(false) != pending)
                    {
                        ct.ThrowIfCancellationRequested();
                        // The read into this segment may not return for a long time (an idle producer): the segment is
                        // sealed without the memory the read fills, and what the read brings is copied into the next one.
                        detached = _current.DetachReadSpace();
                        await SealAsync(ct).ConfigureAwait(false);
                        continue;
                    }
                }
                // A read from a pipe or terminal does not observe the token, so an idle producer would keep
                // SIGINT/SIGTERM waiting until it writes again or closes; stop waiting for it instead.
                var n = await (pending.IsCompleted ? pending : pending.WaitAsync(ct)).ConfigureAwait(false);
                pending = null;
                TotalBytes += n;
                if (detached is not null)
                {
                    await AppendAsync(target[..n], ct).ConfigureAwait(false);
                    detached.Dispose();
                    detached = null;
                }
                else if (n > 0)
                {
                    CommitRead(n);
                    if (_current!.Length == options.SegmentSizeBytes)
                    {
                        await SealAsync(ct).ConfigureAwait(false);
                    }
                }
                if (n == 0)
                {
                    break;
                }
            }
            if (_current is { Length: 0 } && SegmentCount > 0)
            {
                // Started for a read that found the end: never sealed, so its slot is given back here.
                _current.Dispose();
                _current = null;
                slots.Release();
            }
            // An empty stream is stored as one empty segment, so `cat 0*` and s3pipe2 readers still work.
            _current ??= SegmentCount == 0 ? await StartSegmentAsync(ct).ConfigureAwait(false) : null;
            if (_current is not null)
            {
                await SealAsync(ct).ConfigureAwait(false);
            }
            output.Complete();
            logger.LogInformation("Segmenter finished: {Bytes} bytes in {Segments} segments", TotalBytes, SegmentCount);
        }
        catch (Exception e)
        {
            DisarmFlushTimer();
            // A read still under way may yet write into the memory it was given: that memory goes to the GC, not the pool.
            if (pending is null || pending.IsCompleted)
            {
                _current?.Dispose();
                detached?.Dispose();
            }
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

    private async Task<int> ReadAsync(Memory<byte> into, CancellationToken ct) =>
        await input.ReadAsync(into, ct).ConfigureAwait(false);

    private void CommitRead(int n)
    {
        ArmFlushTimer();
        _current!.Commit(n);
    }

    /// <summary>
    /// Before a segment's first byte: one timer per segment, from that byte (not from when its buffer was taken), which
    /// every read of the segment races; not one per read, which a pipe's 64 KiB reads would make thousands of per GiB.
    /// </summary>
    private void ArmFlushTimer()
    {
        if (_current!.Length == 0)
        {
            _flushTimer = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            _flushDue = Task.Delay(options.FlushInterval, time, _flushTimer.Token);
        }
    }

    private void DisarmFlushTimer()
    {
        _flushTimer?.Cancel();
        _flushTimer?.Dispose();
        _flushTimer = null;
        _flushDue = null;
    }

    private async Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            _current ??= await StartSegmentAsync(ct).ConfigureAwait(false);
            ArmFlushTimer();
            var take = (int)Math.Min(data.Length, options.SegmentSizeBytes - _current!.Length);
            _current.Append(data.Span[..take]);
            data = data[take..];
            if (_current.Length == options.SegmentSizeBytes)
            {
                await SealAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<SegmentBuffer> StartSegmentAsync(CancellationToken ct)
    {
        await slots.AcquireAsync(ct).ConfigureAwait(false);
        return buffers.Create(_nextIndex);
    }

    private async Task SealAsync(CancellationToken ct)
    {
        var buffer = _current!;
        _current = null;
        DisarmFlushTimer();
        var segment = new SealedSegment(_nextIndex++, _sealedBytes, buffer);
        _sealedBytes += buffer.Length;
        logger.LogDebug("Sealed segment {SegmentIndex}: {Size} bytes", segment.Index, buffer.Length);
        await output.WriteAsync(segment, ct).ConfigureAwait(false);
    }
}
