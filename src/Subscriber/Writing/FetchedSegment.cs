using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Reading;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A verified segment waiting for its turn; or a segment that stayed bad (<see cref="FailurePolicy.RecordAndContinue"/>
/// only), with its <see cref="Problem"/>; or, with neither, the marker that the stream ends before <see cref="Index"/>.
/// </summary>
internal sealed record FetchedSegment(long Index, SegmentBuffer? Buffer, SegmentInfo? Info, SegmentProblem? Problem = null, bool IsBad = false)
{
    public bool IsEnd => Buffer is null && Problem is null;

    public static FetchedSegment EndBefore(long index) => new(index, null, null);

    /// <summary>Failed verification or is missing.</summary>
    public static FetchedSegment Bad(SegmentProblem problem) => new(problem.Index, null, null, problem, IsBad: true);

    /// <summary>Could not be fetched in -t attempts; not known to be bad.</summary>
    public static FetchedSegment Unfetched(SegmentProblem problem) => new(problem.Index, null, null, problem);
}
