using System.Threading.Channels;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Shared;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Segmenting;

public sealed class StreamHasherTests
{
    private static readonly byte[] Data = new TestData(3000, seed: 77).ToArray();

    private static SealedSegment Segment(long index, int offset, int size) => new(index, offset, new TrackedBuffer(Data.AsSpan(offset, size)));

    [Fact]
    public async Task WhenSegmentsPassThrough_TheyLeaveInOrderUnreleased_AndTheHashIsTheWholeStreams()
    {
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateUnbounded<SealedSegment>();
        SealedSegment[] sent = [Segment(1, 0, 1000), Segment(2, 1000, 1500), Segment(3, 2500, 500)];
        foreach (var s in sent)
        {
            input.Writer.TryWrite(s);
        }
        input.Writer.Complete();
        var hasher = new StreamHasher(input.Reader, output.Writer, _ => Assert.Fail("no segment may be dropped"));

        await hasher.RunAsync(CancellationToken.None).Within("the hasher");

        var passed = new List<SealedSegment>();
        await foreach (var s in output.Reader.ReadAllAsync())
        {
            passed.Add(s);
        }
        Assert.Equal(sent, passed);
        Assert.All(passed, s => Assert.False(((TrackedBuffer)s.Buffer).IsDisposed));
        Assert.Equal(TestData.Sha256Hex(Data), hasher.StreamSha256);
    }

    [Fact]
    public async Task WhenTheSegmenterFails_ItsErrorReachesTheUploadersAndNoStreamHashIsReported()
    {
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateUnbounded<SealedSegment>();
        var failure = new FatalException(ExitCodes.LocalIo, "reading stdin failed after 1000 bytes: Input/output error");
        input.Writer.TryWrite(Segment(1, 0, 1000));
        input.Writer.Complete(failure);
        var hasher = new StreamHasher(input.Reader, output.Writer, _ => { });

        var thrown = await Assert.ThrowsAsync<FatalException>(() => hasher.RunAsync(CancellationToken.None).Within("the hasher"));

        Assert.Same(failure, thrown);
        Assert.Equal("", hasher.StreamSha256);
        Assert.True(output.Reader.TryRead(out var first) && first.Index == 1, "the segment sealed before the failure was not passed on");
        var downstream = await Assert.ThrowsAsync<FatalException>(() => output.Reader.Completion.Within("the output to end"));
        Assert.Same(failure, downstream);
    }

    [Fact]
    public async Task WhenStoppedWhileTheUploadersAreBusy_TheSegmentItHoldsIsHandedBackToBeReleased()
    {
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateBounded<SealedSegment>(1);
        output.Writer.TryWrite(Segment(1, 0, 1000));
        var held = Segment(2, 1000, 1000);
        input.Writer.TryWrite(held);
        var dropped = new TaskCompletionSource<SealedSegment>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hasher = new StreamHasher(input.Reader, output.Writer, s => dropped.TrySetResult(s));
        using var stop = new CancellationTokenSource();

        var run = hasher.RunAsync(stop.Token);
        Assert.False(await run.CompletesQuicklyAsync());
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Within("the hasher to stop"));
        Assert.Same(held, await dropped.Task.Within("the held segment to be handed back"));
    }
}
