using System.Diagnostics;
using System.Security.Cryptography;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Bench.Scale;

/// <summary>
/// One in-process subscriber's output: the bytes it wrote, hashed by the harness itself (SHA-256, independent of the
/// subscriber's own check) and counted, and the moment the subscriber declared the stream complete.
/// </summary>
internal sealed class HashingSink : ISegmentSink
{
    private readonly HashingStream _stream = new();

    public Stream? Stream => _stream;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;

    public long Bytes => _stream.Length;

    /// <summary>Stopwatch timestamp of <see cref="CompleteAsync"/>, or 0.</summary>
    public long CompletedAt { get; private set; }

    public string Sha256 => Convert.ToHexStringLower(_stream.Hash());

    public Task CompleteAsync(CancellationToken ct)
    {
        CompletedAt = Stopwatch.GetTimestamp();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public byte[] Hash() => _hash.GetCurrentHash();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
