using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.UnitTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.UnitTests.Reading;

/// <summary>
/// A finished broadcast of 2,000,000 segments (a log tail flushed every second for 23 days), read by a late subscriber
/// and by verify's path through the one reader: the whole stream arrives, checked against its 62 MB <c>.checksums</c>,
/// and the heap does not grow with the segments read. Memory is sampled (after a full collection) before the index is
/// opened, at 10 % of the stream and at its last byte.
/// </summary>
[Collection(MemoryMeasurements.Name)]
public sealed class WhenABroadcastHasMillionsOfSegments(ITestOutputHelper output)
{
    private const long Segments = 2_000_000;

    /// <summary>Growth allowed from 10 % to 100 % of the stream: per-segment state of 2 million segments would be hundreds of MB.</summary>
    private const long FlatGrowth = 16L * 1024 * 1024;

    /// <summary>Allowed above the heap before the index was opened: the reader's window and buffers, not the index.</summary>
    private const long ReaderOverhead = 32L * 1024 * 1024;

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ALateSubscriberReadsItWithFlatMemory()
    {
        using var s3 = new SyntheticArchiveS3(Locations.Default, Segments);
        var baseline = Heap();
        var manifests = Stores.Manifests(s3);
        using var tracker = new BroadcastTracker(Locations.Default, TimeProvider.System, NullLogger<BroadcastTracker>.Instance);
        tracker.ApplyManifest((await manifests.TryReadAsync(CancellationToken.None))!);
        var index = await manifests.TryOpenChecksumsAsync(CancellationToken.None);
        Assert.NotNull(index);
        tracker.UseChecksums(index.OpenReader());
        using var probe = new MemoryProbe(s3.Bytes);

        var result = await Reader(s3, tracker, manifests, FailurePolicy.AbortOnFirstBadSegment)
            .RunAsync(new StreamSink(probe), [], CancellationToken.None).WaitAsync(Limit);

        Assert.Equal((Segments, s3.Bytes, s3.StreamSha256), (result.Segments, result.Bytes, result.Sha256));
        AssertFlat(baseline, probe, result.Elapsed);
    }

    [Fact]
    public async Task VerifyReadsItWithFlatMemory()
    {
        using var s3 = new SyntheticArchiveS3(Locations.Default, Segments);
        var baseline = Heap();
        var manifests = Stores.Manifests(s3);
        var manifest = (await manifests.TryReadAsync(CancellationToken.None))!;
        var index = await manifests.TryOpenChecksumsAsync(CancellationToken.None);
        Assert.Equal(manifest.Segments, index?.Count);
        using var tracker = new BroadcastTracker(Locations.Default, TimeProvider.System, NullLogger<BroadcastTracker>.Instance);
        tracker.ApplyManifest(manifest);
        tracker.UseChecksums(index!.OpenReader());
        using var probe = new MemoryProbe(s3.Bytes);

        var result = await Reader(s3, tracker, manifests, FailurePolicy.RecordAndContinue)
            .ReadStoredAsync(manifest.Segments, new StreamSink(probe), CancellationToken.None).WaitAsync(Limit);

        Assert.Empty(result.Bad);
        Assert.Empty(result.Failed);
        Assert.Equal((Segments, s3.Bytes, s3.StreamSha256), (result.Segments, result.Bytes, result.Sha256));
        AssertFlat(baseline, probe, result.Elapsed);
    }

    [Fact]
    public async Task AnIndexOver64MiBIsCheckedWhole()
    {
        // 2.3 million lines of about 31 bytes: past the 64 MiB that readers used to load at most (exit 7).
        using var s3 = new SyntheticArchiveS3(Locations.Default, 2_300_000);
        Assert.True(s3.IndexBytes > 64L * 1024 * 1024, $"the index is only {s3.IndexBytes} bytes");

        var index = await Stores.Manifests(s3).TryOpenChecksumsAsync(CancellationToken.None);

        Assert.Equal(2_300_000L, index?.Count);
    }

    private void AssertFlat(long baseline, MemoryProbe probe, TimeSpan elapsed)
    {
        output.WriteLine($"heap before the index {baseline / 1048576.0:F1} MiB, at 10 % {probe.AtTenth / 1048576.0:F1} MiB, at the end {probe.AtEnd / 1048576.0:F1} MiB; read in {elapsed.TotalSeconds:F1} s");
        Assert.True(probe.AtTenth > 0 && probe.AtEnd > 0, "the probe took no samples");
        Assert.True(probe.AtEnd - probe.AtTenth < FlatGrowth,
            $"the heap grew by {(probe.AtEnd - probe.AtTenth) / 1048576.0:F1} MiB from 10 % to 100 % of {Segments} segments");
        Assert.True(probe.AtEnd - baseline < ReaderOverhead,
            $"the heap at the end is {(probe.AtEnd - baseline) / 1048576.0:F1} MiB above what it was before the index was opened");
    }

    private static BroadcastReader Reader(SyntheticArchiveS3 s3, BroadcastTracker tracker, ManifestStore manifests, FailurePolicy policy) => new(
        s3,
        tracker,
        manifests,
        new SubscriberOptions { Location = Locations.Default, Workers = 8, Tries = 2 },
        notificationsExpected: () => false,
        NullLoggerFactory.Instance,
        TimeProvider.System,
        policy);

    private static long Heap() => GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>A sink stream that takes a heap sample when the bytes written reach 10 % of the stream, and at its last byte.</summary>
    private sealed class MemoryProbe(long total) : Stream
    {
        private long _written;

        public long AtTenth { get; private set; }

        public long AtEnd { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer) => Count(buffer.Length);

        public override void Write(byte[] buffer, int offset, int count) => Count(count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count(buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Count(count);
            return Task.CompletedTask;
        }

        private void Count(int bytes)
        {
            var before = _written;
            _written += bytes;
            if (before < total / 10 && _written >= total / 10)
            {
                AtTenth = Heap();
            }
            if (before < total && _written >= total)
            {
                AtEnd = Heap();
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
