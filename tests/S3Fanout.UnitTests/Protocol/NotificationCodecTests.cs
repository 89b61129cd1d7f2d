using System.Text.Json.Nodes;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class NotificationCodecTests
{
    private const string Bucket = "test-bucket";
    private const string Broadcast = "streams/one";
    private static readonly DateTimeOffset SentAt = new(2024, 6, 1, 10, 20, 30, 123, TimeSpan.Zero);
    private static readonly string Crc = SegmentChecksum.Of("segment"u8);
    private static readonly string Sha = new('e', 64);

    public static TheoryData<string> EveryType() => ["begin", "segment", "heartbeat", "end", "aborted"];

    private static Notification Sample(string type) => type switch
    {
        "begin" => new BroadcastBegan { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, SegmentSize = 8 * 1024 * 1024 },
        "segment" => new SegmentReady { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, Index = 7, Key = KeyLayout.SegmentKey(Broadcast, 7), Offset = 6 * 1024, Size = 1024, Checksum = Crc },
        "heartbeat" => new Heartbeat { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, StoredSegments = 6, StoredBytes = 6 * 1024 },
        "end" => new EndOfStream { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, Segments = 9, Bytes = 9000, Sha256 = Sha },
        "aborted" => new BroadcastAborted { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, Reason = "stdin: broken pipe" },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public void WhenANotificationIsSerializedAndParsed_ItComesBackEqual(string type)
    {
        var sent = Sample(type);
        var body = NotificationCodec.Serialize(sent);

        Assert.True(NotificationCodec.TryParse(body, out var received, out var reason), reason);
        Assert.Equal(sent, received);
        Assert.IsType(sent.GetType(), received);
        Assert.Equal("", reason);
    }

    [Theory]
    [MemberData(nameof(EveryType))]
    public void WhenANotificationIsSerialized_TheBodyNamesItsTypeAsTheAttributesDo(string type)
    {
        var sent = Sample(type);
        var json = JsonNode.Parse(NotificationCodec.Serialize(sent))!;
        var attributes = NotificationCodec.Attributes(sent);

        Assert.Equal(type, NotificationCodec.TypeName(sent));
        Assert.Equal(type, (string?)json["type"]);
        Assert.Equal(NotificationCodec.TypeName(sent), attributes[NotificationCodec.TypeAttribute]);
        Assert.Equal(Bucket, attributes[NotificationCodec.BucketAttribute]);
        Assert.Equal(Broadcast, attributes[NotificationCodec.BroadcastAttribute]);
        Assert.Equal(1, (int?)json["v"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("<xml/>")]
    [InlineData("{\"type\":\"segment\"")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    public void WhenTheBodyIsNotANotification_ItIsRejected(string body) => AssertRejected(body);

    [Fact]
    public void WhenTheTypeIsUnknown_ItIsRejected() =>
        AssertRejected("""{"type":"party","v":1,"bucket":"test-bucket","broadcast":"streams/one"}""");

    [Fact]
    public void WhenThereIsNoType_ItIsRejected() =>
        AssertRejected("""{"v":1,"bucket":"test-bucket","broadcast":"streams/one"}""");

    [Theory]
    [InlineData("""{"type":"heartbeat","v":1,"broadcast":"streams/one"}""")]
    [InlineData("""{"type":"heartbeat","v":1,"bucket":"","broadcast":"streams/one"}""")]
    [InlineData("""{"type":"heartbeat","v":1,"bucket":null,"broadcast":"streams/one"}""")]
    [InlineData("""{"type":"heartbeat","v":1,"bucket":"test-bucket"}""")]
    [InlineData("""{"type":"heartbeat","v":1,"bucket":"test-bucket","broadcast":""}""")]
    public void WhenTheBucketOrBroadcastIsMissing_ItIsRejected(string body) => AssertRejected(body);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    public void WhenTheVersionIsNotOne_ItIsRejected(int version) =>
        AssertRejected(Body(Segment(), j => j["v"] = version), "version");

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(1_000_000_000_000_000)]
    public void WhenTheSegmentIndexIsOutOfRange_ItIsRejected(long index) =>
        AssertRejected(Body(Segment(), j => j["index"] = index), "out of range");

    [Theory]
    [InlineData("size", -1)]
    [InlineData("size", 5L * 1024 * 1024 * 1024 + 1)]
    [InlineData("offset", -1)]
    public void WhenTheSegmentSizeOrOffsetIsImpossible_ItIsRejected(string field, long value) =>
        AssertRejected(Body(Segment(), j => j[field] = value), "impossible offset or size");

    [Theory]
    [InlineData("")]
    [InlineData("not-base64!!")]
    [InlineData("AAAA")]
    public void WhenTheSegmentChecksumIsMalformed_ItIsRejected(string checksum) =>
        AssertRejected(Body(Segment(), j => j["crc64nvme"] = checksum), "malformed checksum");

    [Fact]
    public void WhenTheSegmentChecksumIsNull_ItIsRejected() =>
        AssertRejected(Body(Segment(), j => j["crc64nvme"] = null));

    [Theory]
    [InlineData("streams/one/000000000000008")] // another index
    [InlineData("streams/two/000000000000007")] // another broadcast
    [InlineData("streams/one/7")]
    [InlineData("../secret")]
    public void WhenTheSegmentKeyIsOutsideTheLayout_ItIsRejected(string key) =>
        AssertRejected(Body(Segment(), j => j["key"] = key), "outside the layout");

    [Fact]
    public void WhenTheSegmentKeyIsNull_ItIsRejected() =>
        AssertRejected(Body(Segment(), j => j["key"] = null));

    [Theory]
    [InlineData("short")]
    [InlineData("gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")]
    public void WhenTheEndOfStreamShaIsMalformed_ItIsRejected(string sha) =>
        AssertRejected(Body(End(), j => j["sha256"] = sha), "malformed sha256");

    [Fact]
    public void WhenTheEndOfStreamShaIsNull_ItIsRejectedRatherThanThrowing()
    {
        var body = Body(End(), j => j["sha256"] = null);

        var e = Record.Exception(() => NotificationCodec.TryParse(body, out _, out _));

        Assert.True(e is null,
            $"a message body with \"sha256\":null must be rejected, but TryParse threw {e?.GetType().Name}");
        AssertRejected(body);
    }

    [Theory]
    [InlineData("segments", -1)]
    [InlineData("bytes", -1)]
    public void WhenTheEndOfStreamCountsAreImpossible_ItIsRejected(string field, long value) =>
        AssertRejected(Body(End(), j => j[field] = value), "impossible counts");

    [Fact]
    public void WhenTheHeartbeatCountsAreImpossible_ItIsRejected() =>
        AssertRejected(Body(new Heartbeat { Bucket = Bucket, Broadcast = Broadcast, StoredSegments = 1 }, j => j["storedBytes"] = -1), "impossible counts");

    [Fact]
    public void WhenANumberIsNotANumber_ItIsRejected() =>
        AssertRejected(Body(Segment(), j => j["index"] = "7"));

    [Fact]
    public void WhenTheBodyIsLongerThanTheLimit_ItIsRejectedWithoutParsing()
    {
        var body = Body(new BroadcastAborted { Bucket = Bucket, Broadcast = Broadcast, Reason = new string('x', NotificationCodec.MaxBodyBytes) });

        AssertRejected(body, "too long");
    }

    [Fact]
    public void WhenTheBodyIsJustUnderTheLimit_ItIsAccepted()
    {
        var small = Body(new BroadcastAborted { Bucket = Bucket, Broadcast = Broadcast, Reason = "" });
        var body = Body(new BroadcastAborted { Bucket = Bucket, Broadcast = Broadcast, Reason = new string('x', NotificationCodec.MaxBodyBytes - small.Length) });

        Assert.Equal(NotificationCodec.MaxBodyBytes, body.Length);
        Assert.True(NotificationCodec.TryParse(body, out _, out var reason), reason);
    }

    private static SegmentReady Segment() => new()
    {
        Bucket = Bucket,
        Broadcast = Broadcast,
        SentAt = SentAt,
        Index = 7,
        Key = KeyLayout.SegmentKey(Broadcast, 7),
        Offset = 6144,
        Size = 1024,
        Checksum = Crc,
    };

    private static EndOfStream End() => new() { Bucket = Bucket, Broadcast = Broadcast, SentAt = SentAt, Segments = 3, Bytes = 10, Sha256 = Sha };

    /// <summary>A valid body, then edited as JSON, so each rejection test breaks exactly one thing.</summary>
    private static string Body(Notification n, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(NotificationCodec.Serialize(n))!.AsObject();
        edit?.Invoke(json);
        return json.ToJsonString();
    }

    private static void AssertRejected(string body, string? reasonContains = null)
    {
        Assert.False(NotificationCodec.TryParse(body, out var notification, out var reason), $"accepted: {body}");
        Assert.Null(notification);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (reasonContains is not null)
        {
            Assert.Contains(reasonContains, reason, StringComparison.Ordinal);
        }
    }
}
