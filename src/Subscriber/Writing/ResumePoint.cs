using System.Security.Cryptography;

namespace S3Fanout.Subscriber.Writing;

/// <summary>Where a resumed sink stands: segments 1..<see cref="Segments"/> are in it, <see cref="Bytes"/> long, hashed so far by <see cref="Hash"/>.</summary>
internal sealed record ResumePoint(long Segments, long Bytes, IncrementalHash Hash)
{
    public static ResumePoint Start() => new(0, 0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
}

/// <summary>Called after each segment reached the sink (and was flushed), so the position can be recorded durably.</summary>
internal delegate Task CheckpointAsync(long segments, long bytes, CancellationToken ct);
