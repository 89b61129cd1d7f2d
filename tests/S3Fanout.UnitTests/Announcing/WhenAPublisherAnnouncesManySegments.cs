using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Publisher;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.UnitTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.UnitTests.Announcing;

/// <summary>
/// 500,000 segments (nearly six days of a log tail flushed every second) through the announcer, stored out of order in
/// pairs: the heap is the same at the last segment as at the 50,000th, and the <c>.checksums</c> written at the end
/// still lists every segment in order.
/// </summary>
[Collection(MemoryMeasurements.Name)]
public sealed class WhenAPublisherAnnouncesManySegments(ITestOutputHelper output)
{
    private const int Segments = 500_000;
    private const long FlatGrowth = 8L * 1024 * 1024;

    [Fact]
    public async Task TheAnnouncerKeepsNoPerSegmentState()
    {
        using var s3 = new InMemoryS3(TimeProvider.System);
        var options = new PublisherOptions { Location = Locations.Default, SegmentSizeMiB = 1 };
        var stored = Channel.CreateBounded<SegmentInfo>(8);
        using var announcer = new BroadcastAnnouncer(stored.Reader, Stores.Manifests(s3), new NoNotificationSink(), new StepRetry(1, NullLogger.Instance),
            options, TimeProvider.System, NullLogger<BroadcastAnnouncer>.Instance);
        await announcer.OpenAsync(null, CancellationToken.None);
        var run = announcer.RunAsync(CancellationToken.None);

        long atTenth = 0, offset = 0;
        for (var pair = 1; pair <= Segments; pair += 2)
        {
            var first = Segment(pair, offset);
            var second = Segment(pair + 1, offset + first.Size);
            offset = second.Offset + second.Size;
            await stored.Writer.WriteAsync(second);
            await stored.Writer.WriteAsync(first);
            if (pair + 1 == Segments / 10)
            {
                atTenth = GC.GetTotalMemory(forceFullCollection: true);
            }
        }
        var atEnd = GC.GetTotalMemory(forceFullCollection: true);
        stored.Writer.Complete();
        await run.WaitAsync(TimeSpan.FromMinutes(2));
        await announcer.CompleteAsync(offset, new string('a', 64), CancellationToken.None);

        output.WriteLine($"heap at 10 % {atTenth / 1048576.0:F1} MiB, at the end {atEnd / 1048576.0:F1} MiB");
        Assert.True(atEnd - atTenth < FlatGrowth, $"the announcer's heap grew by {(atEnd - atTenth) / 1048576.0:F1} MiB from 10 % to 100 % of {Segments} segments");
        var index = ChecksumIndexCodec.Parse(s3.TryGet(KeyLayout.ChecksumsKey(Locations.Default.Prefix))!);
        Assert.Equal(Segments, index.Count);
        Assert.Equal(Segment(Segments, offset - Size(Segments)), index[^1]);
    }

    private static long Size(long index) => 1 + (index % 8);

    private static SegmentInfo Segment(long index, long offset) => new(index, offset, Size(index), SegmentChecksum.Encode((ulong)index));
}
