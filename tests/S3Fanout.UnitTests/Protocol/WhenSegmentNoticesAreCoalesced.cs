using System.Text.Json.Nodes;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

/// <summary>The "segments" notification: validated entry by entry as a "segment" is, bounded in size, and the old type still parses.</summary>
public sealed class WhenSegmentNoticesAreCoalesced
{
    private const string Bucket = "test-bucket";
    private const string Broadcast = "streams/one";
    private static readonly DateTimeOffset SentAt = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Crc = SegmentChecksum.Of("segment"u8);

    private static SegmentEntry Entry(long index, long size = 1024, string? crc = null) =>
        new() { Index = index, Offset = (index - 1) * 1024, Size = size, Checksum = crc ?? Crc };

    private static SegmentsReady Message(IReadOnlyList<SegmentEntry> entries, string broadcast = Broadcast) =>
        new() { Bucket = Bucket, Broadcast = broadcast, SentAt = SentAt, Segments = entries };

    [Fact]
    public void ASegmentsMessage_RoundTrips_WithEveryEntry_AndNamesItsTypeInTheAttributes()
    {
        var sent = Message([Entry(3), Entry(4), Entry(5)]);
        var body = NotificationCodec.Serialize(sent);

        Assert.True(NotificationCodec.TryParse(body, out var parsed, out var reason), reason);
        var received = Assert.IsType<SegmentsReady>(parsed);
        Assert.Equal(sent.Segments, received.Segments);
        Assert.Equal([3L, 4L, 5L], received.ToInfos().Select(i => i.Index));
        Assert.Equal("segments", (string?)JsonNode.Parse(body)!["type"]);
        Assert.Equal("segments", NotificationCodec.Attributes(sent)[NotificationCodec.TypeAttribute]);
    }

    public static TheoryData<string, string> BadEntries() => new()
    {
        { "index", "segment index 0 is out of range" },
        { "size", "segment 2 has an impossible offset or size" },
        { "crc", "segment 2 has a malformed checksum" },
    };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public void ASegmentsMessageWithOneBadEntry_IsRefusedWithTheReason(string what, string expected)
    {
        SegmentEntry bad = what switch
        {
            "index" => Entry(0),
            "size" => Entry(2, size: -1),
            _ => Entry(2, crc: "not-a-crc"),
        };
        var body = NotificationCodec.Serialize(Message([Entry(1), bad, Entry(3)]));

        Assert.False(NotificationCodec.TryParse(body, out _, out var reason));
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SegmentsReady.MaxSegments + 1)]
    public void ASegmentsMessageWithNoneOrTooManyEntries_IsRefused(int count)
    {
        var body = NotificationCodec.Serialize(Message(Enumerable.Range(1, count).Select(i => Entry(i)).ToList()));

        Assert.False(NotificationCodec.TryParse(body, out _, out var reason));
        Assert.Contains($"names {count} segments", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFullMessageWithTheLongestNameAndLargestNumbers_StaysUnderTheBodyLimitAndSnsMessageSize()
    {
        // 900 characters (BroadcastLocation's longest) that JSON escapes to 6 bytes each.
        var name = string.Concat(Enumerable.Repeat("\"é", 450));
        var entries = Enumerable.Range(1, SegmentsReady.MaxSegments)
            .Select(i => new SegmentEntry { Index = KeyLayout.MaxIndex - i, Offset = long.MaxValue, Size = S3Limits.MaxObjectBytes, Checksum = Crc })
            .ToList();
        var body = NotificationCodec.Serialize(Message(entries, name));

        Assert.True(body.Length <= NotificationCodec.MaxBodyBytes, $"{body.Length} characters");
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(body) < NotificationBudget.SnsMaxMessageBytes);
        Assert.True(NotificationCodec.TryParse(body, out _, out var reason), reason);
    }

    [Fact]
    public void TheSingleSegmentType_StillParses()
    {
        var body = $$"""{"type":"segment","v":1,"bucket":"{{Bucket}}","broadcast":"{{Broadcast}}","sentAt":"2026-12-05T12:00:00+00:00","index":7,"key":"{{KeyLayout.SegmentKey(Broadcast, 7)}}","offset":6144,"size":1024,"crc64nvme":"{{Crc}}"}""";

        Assert.True(NotificationCodec.TryParse(body, out var parsed, out var reason), reason);
        Assert.Equal(7, Assert.IsType<SegmentReady>(parsed).Index);
    }
}
