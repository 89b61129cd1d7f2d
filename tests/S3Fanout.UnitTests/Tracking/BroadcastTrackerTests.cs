using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Tracking;

public sealed class BroadcastTrackerTests : IDisposable
{
    private static readonly string Bucket = Locations.Default.Bucket;
    private static readonly string Prefix = Locations.Default.Prefix;

    private readonly FakeTimeProvider _time = new();
    private readonly BroadcastTracker _tracker;

    public BroadcastTrackerTests() => _tracker = new BroadcastTracker(Locations.Default, _time, NullLogger<BroadcastTracker>.Instance);

    private static SegmentReady Ready(long index, long offset = 0, long size = 10, string? checksum = null) => new()
    {
        Bucket = Bucket,
        Broadcast = Prefix,
        Index = index,
        Key = KeyLayout.SegmentKey(Prefix, index),
        Offset = offset,
        Size = size,
        Checksum = checksum ?? SegmentChecksum.Of([(byte)index]),
    };

    private static EndOfStream End(long segments, long bytes, string sha) =>
        new() { Bucket = Bucket, Broadcast = Prefix, Segments = segments, Bytes = bytes, Sha256 = sha };

    [Fact]
    public void WhenNothingIsKnown_TheBroadcastDoesNotExistYet()
    {
        Assert.False(_tracker.Exists);
        Assert.Equal(0, _tracker.MaxKnownIndex);
        Assert.Null(_tracker.Final);
        Assert.Null(_tracker.AbortReason);
        Assert.Null(_tracker.TryGetInfo(1));
    }

    [Fact]
    public void WhenNotificationsArriveOutOfOrder_EveryInfoIsKeptAndTheHighestIndexWins()
    {
        _tracker.Apply(Ready(5, offset: 40));
        _tracker.Apply(Ready(2, offset: 10));

        Assert.True(_tracker.Exists);
        Assert.Equal(5, _tracker.MaxKnownIndex);
        Assert.Equal(Ready(5, offset: 40).ToInfo(), _tracker.TryGetInfo(5));
        Assert.Equal(Ready(2, offset: 10).ToInfo(), _tracker.TryGetInfo(2));
        Assert.Null(_tracker.TryGetInfo(3));
    }

    [Fact]
    public void WhenANotificationIsDuplicated_TheFirstInfoIsKept()
    {
        var first = Ready(3, offset: 20, checksum: SegmentChecksum.Of("first"u8));
        _tracker.Apply(first);

        _tracker.Apply(Ready(3, offset: 999, checksum: SegmentChecksum.Of("second"u8)));

        Assert.Equal(first.ToInfo(), _tracker.TryGetInfo(3));
        Assert.Equal(3, _tracker.MaxKnownIndex);
    }

    [Fact]
    public void WhenAHeartbeatCountsStoredSegments_TheyBecomeKnown_ButNeverLowerTheCount()
    {
        _tracker.Apply(new Heartbeat { Bucket = Bucket, Broadcast = Prefix, StoredSegments = 7, StoredBytes = 70 });
        _tracker.Apply(new Heartbeat { Bucket = Bucket, Broadcast = Prefix, StoredSegments = 4, StoredBytes = 40 });

        Assert.Equal(7, _tracker.MaxKnownIndex);
    }

    [Fact]
    public void WhenTheEndIsAnnouncedTwice_TheFirstAnnouncementStands()
    {
        _tracker.Apply(End(3, 30, new string('A', 64)));
        _tracker.Apply(End(4, 40, new string('b', 64)));

        Assert.Equal(new FinalInfo(3, 30, new string('a', 64)), _tracker.Final);
    }

    [Fact]
    public void WhenAnOpenManifestIsRead_ItsSegmentCountBecomesKnown()
    {
        var updated = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Open, NumSegments = 4, Notify = "sns", UpdatedAt = updated });

        Assert.True(_tracker.Exists);
        Assert.False(_tracker.IsLegacy);
        Assert.Equal(4, _tracker.MaxKnownIndex);
        Assert.Equal("sns", _tracker.Notify);
        Assert.Equal(updated, _tracker.LastManifestUpdate);
        Assert.Null(_tracker.Final);
    }

    [Fact]
    public void WhenAnOpenManifestKeepsS3pipe2sCountOneBehind_S3FanoutsOwnCountIsWhatBecomesKnown()
    {
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Open }.WithStored(4, 40, 10));

        Assert.Equal(4, _tracker.MaxKnownIndex);
        Assert.True(_tracker.IsStored(4));
        Assert.False(_tracker.IsStored(5));
    }

    [Fact]
    public void WhenThePublisherSaidASegmentIsStored_ItIsKnownStoredAndOnlyThen()
    {
        _tracker.Apply(Ready(7));
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Open, NumSegments = 2 });

        // Segments 1-2 by the manifest's count and 7 by its notification; 3-6 may simply not be there yet.
        Assert.Equal([1L, 2L, 7L], Enumerable.Range(1, 8).Select(i => (long)i).Where(_tracker.IsStored));
    }

    [Fact]
    public void WhenAManifestIsBehindTheNotifications_ItDoesNotLowerWhatIsKnown()
    {
        _tracker.Apply(Ready(9));

        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Open, NumSegments = 4 });

        Assert.Equal(9, _tracker.MaxKnownIndex);
    }

    [Fact]
    public void WhenACompleteManifestIsRead_ItGivesTheFinalCountsAndSha()
    {
        var sha = new string('c', 64);

        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, Completed = true, State = BroadcastState.Complete, NumSegments = 6, TotalSize = 600, StreamSha256 = sha });

        Assert.Equal(new FinalInfo(6, 600, sha), _tracker.Final);
        Assert.Equal(6, _tracker.MaxKnownIndex);
    }

    [Fact]
    public void WhenAnS3pipe2ManifestIsRead_TheBroadcastIsLegacyAndEndsWithoutSha()
    {
        _tracker.ApplyManifest(ManifestCodec.Parse("[s3pipe2]\nversion = 0.1\ncompleted = true\nnum_segments = 3\ntotal_size = 250000000\n"));

        Assert.True(_tracker.IsLegacy);
        Assert.Equal(new FinalInfo(3, 250_000_000, null), _tracker.Final);
    }

    [Fact]
    public void WhenTheEndWasAnnounced_ALaterManifestDoesNotReplaceIt()
    {
        _tracker.Apply(End(3, 30, new string('a', 64)));

        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, Completed = true, State = BroadcastState.Complete, NumSegments = 3, TotalSize = 30, StreamSha256 = new string('f', 64) });

        Assert.Equal(new string('a', 64), _tracker.Final!.Sha256);
    }

    [Fact]
    public void WhenThePublisherAborts_TheFirstReasonIsKept()
    {
        _tracker.Apply(new BroadcastAborted { Bucket = Bucket, Broadcast = Prefix, Reason = "stdin closed" });
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Aborted, AbortReason = "other" });

        Assert.Equal("stdin closed", _tracker.AbortReason);
    }

    [Fact]
    public void WhenTheManifestSaysAbortedWithoutAReason_AReasonIsStillGiven()
    {
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Aborted });

        Assert.Equal("no reason given", _tracker.AbortReason);
    }

    [Fact]
    public async Task WhenSomethingNewIsLearned_ThePlannerIsWoken()
    {
        var wake = _tracker.Changed.WaitAsync(Deadlines.Generous, CancellationToken.None);

        _tracker.Apply(Ready(1));

        Assert.True(await wake.Within("the Changed signal"));
    }

    [Fact]
    public async Task WhenTheSameManifestIsReadAgain_NobodyIsWoken()
    {
        var manifest = new Manifest { FormatVersion = 1, State = BroadcastState.Open, NumSegments = 4, UpdatedAt = DateTimeOffset.UnixEpoch };
        _tracker.ApplyManifest(manifest);
        Assert.True(await _tracker.Changed.WaitAsync(TimeSpan.Zero, CancellationToken.None), "the first manifest did not signal");
        _time.Advance(TimeSpan.FromSeconds(30));

        _tracker.ApplyManifest(manifest);

        Assert.False(await _tracker.Changed.WaitAsync(TimeSpan.Zero, CancellationToken.None), "an unchanged manifest signalled");
        Assert.Equal(TimeSpan.FromSeconds(30), _tracker.SinceLastNews);
    }

    [Fact]
    public void WhenANotificationArrives_TheStallClockIsReset()
    {
        _time.Advance(TimeSpan.FromSeconds(42));
        Assert.Equal(TimeSpan.FromSeconds(42), _tracker.SinceLastNews);

        _tracker.Apply(new Heartbeat { Bucket = Bucket, Broadcast = Prefix });

        Assert.Equal(TimeSpan.Zero, _tracker.SinceLastNews);
    }

    [Fact]
    public async Task WhenTheChecksumIndexIsApplied_ItOverridesWhatNotificationsSaid()
    {
        _tracker.Apply(Ready(1, checksum: SegmentChecksum.Of("stale"u8)));
        var fromIndex = new SegmentInfo(1, 0, 10, SegmentChecksum.Of("publisher"u8));

        _tracker.UseChecksums(ChecksumIndexes.Reader([fromIndex, new SegmentInfo(2, 10, 5, SegmentChecksum.Of("two"u8))]));
        await _tracker.LoadChecksumsThroughAsync(2, CancellationToken.None);

        Assert.Equal(fromIndex, _tracker.TryGetInfo(1));
        Assert.NotNull(_tracker.TryGetInfo(2));
    }

    [Fact]
    public void WhenSegmentsAreWritten_WhatWasKnownOfThemIsForgottenAndALateDuplicateIsNotKept()
    {
        foreach (var i in new long[] { 1, 2, 3 })
        {
            _tracker.Apply(Ready(i, offset: (i - 1) * 10));
        }

        _tracker.Forget(2);
        _tracker.Apply(Ready(1));

        Assert.Null(_tracker.TryGetInfo(1));
        Assert.Null(_tracker.TryGetInfo(2));
        Assert.Null(_tracker.TryGetAnnouncedAt(2));
        Assert.NotNull(_tracker.TryGetInfo(3));
        Assert.NotNull(_tracker.TryGetAnnouncedAt(3));
        Assert.Equal(3, _tracker.MaxKnownIndex);
    }

    [Fact]
    public async Task WhenTheIndexIsReadPastWrittenSegments_OnlyTheUnwrittenOnesAreKept()
    {
        var segments = Enumerable.Range(1, 1000).Select(i => new SegmentInfo(i, (i - 1) * 10L, 10, SegmentChecksum.Of([(byte)i]))).ToList();
        _tracker.Forget(990); // a resumed sink: 990 segments were written by an earlier run
        _tracker.UseChecksums(ChecksumIndexes.Reader(segments));

        await _tracker.LoadChecksumsThroughAsync(995, CancellationToken.None);

        Assert.Null(_tracker.TryGetInfo(990));
        Assert.Equal(segments[990], _tracker.TryGetInfo(991));
        Assert.Equal(segments[994], _tracker.TryGetInfo(995));
        Assert.Null(_tracker.TryGetInfo(996)); // not read yet
        Assert.True(_tracker.IsStored(995));
    }

    public void Dispose() => _tracker.Dispose();
}
