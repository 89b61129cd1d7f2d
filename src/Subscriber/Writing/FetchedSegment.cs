using S3Fanout.Shared;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Reading;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A verified segment waiting for its turn; or a segment that stayed bad, with its <see cref="Problem"/> (and, under
/// <see cref="FailurePolicy.AbortOnFirstBadSegment"/>, the <see cref="Error"/> that ends the read at its turn); or, with
/// neither, the marker that the stream ends before <see cref="Index"/>.
/// </summary>
internal sealed record FetchedSegment(long Index, SegmentBuffer? Buffer, SegmentInfo? Info, SegmentProblem? Problem = null, bool IsBad = false, FatalException? Error = null)
{
    public bool IsEnd => Buffer is null && Problem is null;

    public static FetchedSegment EndBefore(long index) => new(index, null, null);

    /// <summary>Failed verification or is missing.</summary>
    public static FetchedSegment Bad(SegmentProblem problem) => new(problem.Index, null, null, problem, IsBad: true);

    /// <summary>Could not be fetched in -t attempts; not known to be bad.</summary>
    public static FetchedSegment Unfetched(SegmentProblem problem) => new(problem.Index, null, null, problem);

    /// <summary>Stayed bad, and ends the read with <paramref name="error"/> once every segment before it is written.</summary>
    public static FetchedSegment Failure(SegmentProblem problem, FatalException error) => new(problem.Index, null, null, problem, IsBad: true, error);
}
