using Amazon.S3;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// <c>verify</c>'s check of a broadcast's read replicas (<c>--replicas K</c>): every replica k is read through the one
/// reader (<see cref="BroadcastReader"/>) as if <c>NAME/.replica-k</c> were the broadcast, each segment checked against the
/// same checksums as its primary. A damaged replica is a bad segment; a missing one only a note (a lifecycle rule may have
/// expired it, and subscribers then read the primary).
/// </summary>
internal sealed class ReplicaVerifier(IAmazonS3 s3, ManifestStore manifests, ILoggerFactory loggers, TimeProvider time)
{
    public async Task<(List<SegmentProblem> Bad, List<string> Notes)> VerifyAsync(Manifest manifest, ChecksumIndex? index, SubscriberOptions options, CancellationToken ct)
    {
        var bad = new List<SegmentProblem>();
        var notes = new List<string>();
        for (var replica = 1; replica <= manifest.Replicas; replica++)
        {
            var location = new BroadcastLocation(options.Location.Bucket, KeyLayout.ReplicaPrefix(options.Location.Prefix, replica));
            using var tracker = new BroadcastTracker(location, time, loggers.CreateLogger<BroadcastTracker>());
            tracker.ApplyManifest(manifest with { Replicas = 0 });
            if (index is not null)
            {
                tracker.UseChecksums(index.OpenReader());
            }
            var reader = new BroadcastReader(s3, tracker, manifests, options with { Location = location }, notificationsExpected: () => false, loggers, time, FailurePolicy.RecordAndContinue);
            var totals = await reader.ReadStoredAsync(manifest.Segments, NullSink.Instance, ct).ConfigureAwait(false);
            var missing = totals.Bad.Count(b => b.Reason == SegmentFetcher.MissingReason);
            if (missing > 0)
            {
                notes.Add($"replica {replica}: {missing} of {manifest.Segments} segments missing (deleted or expired; subscribers read the primary instead)");
            }
            bad.AddRange(totals.Bad.Where(b => b.Reason != SegmentFetcher.MissingReason).Select(b => b with { Reason = $"replica {replica}: {b.Reason}" }));
            bad.AddRange(totals.Failed.Select(f => f with { Reason = $"replica {replica}: {f.Reason}" }));
        }
        return (bad, notes);
    }
}
