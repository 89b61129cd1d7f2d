using System.Text.RegularExpressions;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class ManifestCodecTests
{
    // Byte for byte what s3pipe2 0.1 wrote: Python 2 RawConfigParser.write keeps insertion order (version, segment_size,
    // upload_began, completed, num_segments, total_size, upload_ended), writes "key = value" and ends the section with
    // a blank line; datetime.isoformat() of local time has no zone.
    private const string Completed =
        "[s3pipe2]\n" +
        "version = 0.1\n" +
        "segment_size = 100\n" +
        "upload_began = 2014-05-01T12:34:56.123456\n" +
        "completed = true\n" +
        "num_segments = 3\n" +
        "total_size = 250000000\n" +
        "upload_ended = 2014-05-01T12:40:01.654321\n" +
        "\n";

    // What s3pipe2 uploads every num_workers segments while the stream is still running.
    private const string InProgress =
        "[s3pipe2]\n" +
        "version = 0.1\n" +
        "segment_size = 8\n" +
        "upload_began = 2014-05-01T12:34:56\n" +
        "completed = false\n" +
        "num_segments = 4\n" +
        "total_size = 33554432\n" +
        "\n";

    private static Manifest Full => new()
    {
        Version = "0.1",
        SegmentSizeMb = 8,
        UploadBegan = new DateTimeOffset(2024, 2, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(1_234_560),
        Completed = true,
        NumSegments = 42,
        TotalSize = 351_000_123,
        UploadEnded = new DateTimeOffset(2024, 2, 3, 5, 0, 0, TimeSpan.Zero).AddTicks(10),
        FormatVersion = 1,
        State = BroadcastState.Complete,
        SegmentSizeBytes = 8 * 1024 * 1024,
        ChecksumAlgorithm = SegmentChecksum.Algorithm,
        StreamSha256 = new string('a', 32) + new string('0', 32),
        Notify = "sns",
        TopicArn = "arn:aws:sns:eu-west-1:123456789012:s3fanout-test-bucket",
        UpdatedAt = new DateTimeOffset(2024, 2, 3, 5, 0, 1, TimeSpan.Zero),
    };

    [Fact]
    public void WhenAFullManifestIsFormattedAndParsed_EveryFieldSurvives()
    {
        var parsed = ManifestCodec.Parse(ManifestCodec.Format(Full));

        Assert.Equal(Full, parsed);
        Assert.False(parsed.IsLegacy);
    }

    [Fact]
    public void WhenARelayedManifestIsFormatted_RelayedFromSurvives_AndAPublishersOwnHasNoSuchKey()
    {
        var relayed = new Manifest { FormatVersion = 1, State = BroadcastState.Open, RelayedFrom = "s3://source-bucket/nightly/data.tar" };
        var own = new Manifest { FormatVersion = 1, State = BroadcastState.Open };

        var text = ManifestCodec.Format(relayed);

        Assert.Contains("relayed_from = s3://source-bucket/nightly/data.tar\n", text, StringComparison.Ordinal);
        Assert.Equal("s3://source-bucket/nightly/data.tar", ManifestCodec.Parse(text).RelayedFrom);
        Assert.DoesNotContain("relayed_from", ManifestCodec.Format(own), StringComparison.Ordinal);
        Assert.Null(ManifestCodec.Parse(ManifestCodec.Format(own)).RelayedFrom);
    }

    [Fact]
    public void WhenABroadcastWasAssembled_TheObjectAndItsSha256Survive()
    {
        var assembled = Full with { AssembledTo = "s3://archive/etc.tar", AssembledSha256 = new string('a', 64) };

        var text = ManifestCodec.Format(assembled);

        Assert.Contains("assembled_to = s3://archive/etc.tar\n", text, StringComparison.Ordinal);
        Assert.Equal(assembled, ManifestCodec.Parse(text));
    }

    [Theory]
    [InlineData("assembled_to = /tmp/x")]
    [InlineData("assembled_sha256 = 1234")]
    public void WhenAnAssembledKeyIsMalformed_TheManifestIsRefused(string line) =>
        Assert.Throws<ManifestException>(() => ManifestCodec.Parse(ManifestCodec.Format(Full) + line + "\n"));

    [Fact]
    public void WhenAnAbortedManifestIsFormatted_TheReasonStaysOnOneLineAndSurvives()
    {
        var aborted = Full with
        {
            Completed = false,
            State = BroadcastState.Aborted,
            UploadEnded = null,
            StreamSha256 = null,
            AbortReason = "stdin failed:\nbroken pipe",
        };

        var text = ManifestCodec.Format(aborted);
        var parsed = ManifestCodec.Parse(text);

        Assert.Contains("abort_reason = stdin failed: broken pipe\n", text, StringComparison.Ordinal);
        Assert.Equal(aborted with { AbortReason = "stdin failed: broken pipe" }, parsed);
    }

    [Fact]
    public void WhenAnOpenManifestIsFormatted_ItSaysCompletedFalseAndParsesAsOpen()
    {
        var open = Full with { Completed = false, State = BroadcastState.Open, UploadEnded = null, StreamSha256 = null };

        var text = ManifestCodec.Format(open);

        Assert.Contains("completed = false\n", text, StringComparison.Ordinal);
        Assert.Contains("state = open\n", text, StringComparison.Ordinal);
        Assert.Equal(open, ManifestCodec.Parse(text));
    }

    [Fact]
    public void WhenAnOpenBroadcastRecordsItsStoredSegments_S3pipe2sKeysStayOneSegmentBehindAndS3FanoutsHoldTheTrueCount()
    {
        // s3pipe2's `from` stops only right after writing segment num_segments of a completed manifest: an open
        // manifest naming the last segment would have it write that segment early and then wait forever.
        var open = (Full with { Completed = false, State = BroadcastState.Open, UploadEnded = null, StreamSha256 = null }).WithStored(3, 2_500_000, 400_000);

        var text = ManifestCodec.Format(open);

        Assert.Contains("\nnum_segments = 2\ntotal_size = 2100000\n", text, StringComparison.Ordinal);
        Assert.Contains("stored_segments = 3\nstored_bytes = 2500000\n", text, StringComparison.Ordinal);
        var parsed = ManifestCodec.Parse(text);
        Assert.Equal(open, parsed);
        Assert.Equal((3L, 2_500_000L), (parsed.Segments, parsed.Bytes));
    }

    [Fact]
    public void WhenACompletedBroadcastRecordsItsStoredSegments_S3pipe2sKeysHoldTheTrueCount()
    {
        var complete = Full.WithStored(3, 2_500_000, 400_000);

        var text = ManifestCodec.Format(complete);

        Assert.Contains("\nnum_segments = 3\ntotal_size = 2500000\n", text, StringComparison.Ordinal);
        Assert.Equal((3L, 2_500_000L, 3L, 2_500_000L), (complete.NumSegments, complete.TotalSize, complete.Segments, complete.Bytes));
    }

    [Fact]
    public void WhenNothingIsStoredYet_AnOpenManifestCountsZeroEverywhere()
    {
        var open = (Full with { Completed = false, State = BroadcastState.Open }).WithStored(0, 0, 0);

        Assert.Equal((0L, 0L, 0L, 0L), (open.NumSegments, open.TotalSize, open.Segments, open.Bytes));
    }

    [Fact]
    public void WhenAnOlderS3FanoutManifestHasNoStoredKeys_ReadersTakeNumSegmentsAsTheStoredCount()
    {
        var older = ManifestCodec.Format(Full with { Completed = false, State = BroadcastState.Open, UploadEnded = null, StreamSha256 = null });
        Assert.DoesNotContain("stored_", older, StringComparison.Ordinal);

        var parsed = ManifestCodec.Parse(older);

        Assert.Null(parsed.StoredSegments);
        Assert.Equal((42L, 351_000_123L), (parsed.Segments, parsed.Bytes));
    }

    [Fact]
    public void WhenAManifestHasKeysThisVersionDoesNotKnow_TheyAreIgnored()
    {
        // What lets an older S3Fanout read a newer manifest (it goes by num_segments, one segment behind while open).
        var parsed = ManifestCodec.Parse(InProgress + "some_future_key = 7\n");

        Assert.Equal(4, parsed.Segments);
    }

    [Theory]
    [InlineData("completed = false\nstate = open\nnum_segments = 3\ntotal_size = 30\nstored_segments = 2\nstored_bytes = 30\n", "'stored_segments' = '2' is not a whole number in 3..")]
    [InlineData("completed = false\nstate = open\nnum_segments = 3\ntotal_size = 30\nstored_segments = 4\nstored_bytes = 29\n", "'stored_bytes' = '29' is not a whole number in 30..")]
    [InlineData("completed = true\nstate = complete\nnum_segments = 3\ntotal_size = 30\nstored_segments = 4\nstored_bytes = 30\n", "'stored_segments' = '4' is not a whole number in 3..3")]
    public void WhenTheStoredCountContradictsS3pipe2sKeys_ParsingFails(string keys, string expected)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse("[s3pipe2]\ns3fanout_format = 1\n" + keys));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenS3pipe2WroteACompletedManifest_ItParsesAsALegacyCompleteArchive()
    {
        var m = ManifestCodec.Parse(Completed);

        Assert.True(m.IsLegacy);
        Assert.Equal(0, m.FormatVersion);
        Assert.Equal(BroadcastState.Complete, m.State);
        Assert.True(m.Completed);
        Assert.Equal("0.1", m.Version);
        Assert.Equal(100, m.SegmentSizeMb);
        Assert.Equal(3, m.NumSegments);
        Assert.Equal(250_000_000, m.TotalSize);
        Assert.Equal(new DateTimeOffset(2014, 5, 1, 12, 34, 56, TimeSpan.Zero).AddTicks(1_234_560), m.UploadBegan);
        Assert.Equal(new DateTimeOffset(2014, 5, 1, 12, 40, 1, TimeSpan.Zero).AddTicks(6_543_210), m.UploadEnded);
        Assert.Null(m.StreamSha256);
        Assert.Null(m.ChecksumAlgorithm);
        Assert.Null(m.Notify);
        Assert.Null(m.AbortReason);
    }

    [Fact]
    public void WhenS3pipe2WroteAnInProgressManifest_ItParsesAsALegacyOpenArchive()
    {
        var m = ManifestCodec.Parse(InProgress);

        Assert.True(m.IsLegacy);
        Assert.Equal(BroadcastState.Open, m.State);
        Assert.False(m.Completed);
        Assert.Equal(8, m.SegmentSizeMb);
        Assert.Equal(4, m.NumSegments);
        Assert.Equal(33_554_432, m.TotalSize);
        Assert.Equal(new DateTimeOffset(2014, 5, 1, 12, 34, 56, TimeSpan.Zero), m.UploadBegan);
        Assert.Null(m.UploadEnded);
    }

    [Theory]
    [InlineData("True")]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("on")]
    public void WhenCompletedIsSpelledAsConfigParserAcceptsIt_ItMeansComplete(string spelling)
    {
        var m = ManifestCodec.Parse(Completed.Replace("completed = true", $"completed = {spelling}", StringComparison.Ordinal));

        Assert.Equal(BroadcastState.Complete, m.State);
    }

    [Fact]
    public void WhenTheManifestUsesCrLfAndColonSeparators_ItStillParses()
    {
        var text = Completed.Replace("\n", "\r\n", StringComparison.Ordinal).Replace("num_segments = 3", "num_segments: 3", StringComparison.Ordinal);

        Assert.Equal(3, ManifestCodec.Parse(text).NumSegments);
    }

    [Theory]
    [InlineData("this is not a manifest at all", "malformed line")]
    [InlineData("\0\u0001\u0002\u0003binary", "malformed line")]
    [InlineData("[s3pipe2\ncompleted = true\n", "malformed section header")]
    public void WhenTheTextIsGarbage_ParsingFailsWithAClearMessage(string text, string expected)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("completed = true\nnum_segments = 3\n")]
    [InlineData("[other]\ncompleted = true\nnum_segments = 3\n")]
    [InlineData("[S3PIPE2]\ncompleted = true\n")]
    public void WhenThereIsNoS3pipe2Section_ParsingFails(string text)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains("no [s3pipe2] section", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenCompletedIsMissing_ParsingFails()
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse("[s3pipe2]\nnum_segments = 3\n"));

        Assert.Contains("missing 'completed'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("num_segments", "-1")]
    [InlineData("num_segments", "1000000000000000")]
    [InlineData("num_segments", "99999999999999999999999")]
    [InlineData("num_segments", "3.5")]
    [InlineData("total_size", "250 MB")]
    [InlineData("total_size", "abc")]
    [InlineData("total_size", "-5")]
    [InlineData("segment_size", "lots")]
    public void WhenANumberIsNotAWholeNumberInRange_ParsingFailsNamingTheKey(string key, string value)
    {
        var text = Regex.Replace(Completed, $"^{key} = .*$", $"{key} = {value}", RegexOptions.Multiline);
        Assert.Contains($"{key} = {value}\n", text, StringComparison.Ordinal);

        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not a whole number", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenNumSegmentsHasFifteenDigits_ItIsTheLargestAccepted()
    {
        var text = Completed.Replace("num_segments = 3", "num_segments = 999999999999999", StringComparison.Ordinal);

        Assert.Equal(KeyLayout.MaxIndex, ManifestCodec.Parse(text).NumSegments);
    }

    [Fact]
    public void WhenTheStateIsUnknown_ParsingFails()
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(Completed + "state = paused\n"));

        Assert.Contains("unknown value 'paused'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", "open")]
    [InlineData("true", "aborted")]
    [InlineData("false", "complete")]
    public void WhenCompletedContradictsTheState_ParsingFails(string completed, string state)
    {
        var text = $"[s3pipe2]\ncompleted = {completed}\nnum_segments = 1\ns3fanout_format = 1\nstate = {state}\n";

        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains($"completed = {completed} but state = {state}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenCompletedIsNotABoolean_ParsingFails()
    {
        var text = Completed.Replace("completed = true", "completed = maybe", StringComparison.Ordinal);

        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains("is not true or false", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenATimestampIsNotATimestamp_ParsingFails()
    {
        var text = Completed.Replace("upload_ended = 2014-05-01T12:40:01.654321", "upload_ended = yesterday", StringComparison.Ordinal);

        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains("'upload_ended'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    public void WhenTheStreamShaIsNot64HexDigits_ParsingFails(string sha)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(Completed + $"stream_sha256 = {sha}\n"));

        Assert.Contains("stream_sha256", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheTextIsLongerThanTheLimit_ParsingFailsBeforeReadingIt()
    {
        var text = Completed + "# " + new string('x', ManifestCodec.MaxBytes) + "\n";

        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse(text));

        Assert.Contains($"at most {ManifestCodec.MaxBytes}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenAMalformedLineIsVeryLong_TheMessageQuotesOnlyItsStart()
    {
        var e = Assert.Throws<ManifestException>(() => ManifestCodec.Parse("[s3pipe2]\n" + new string('q', 5000) + "\n"));

        Assert.True(e.Message.Length < 200, $"message is {e.Message.Length} characters long");
    }
}
