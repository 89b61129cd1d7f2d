using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// The archive layout is s3pipe2's: S3Fanout reads archives s3pipe2 wrote (complete or still growing), and what
/// S3Fanout writes can be read back with `cat 0*` and by s3pipe2's ConfigParser-based manifest reader.
/// </summary>
[Collection("emulator")]
public sealed partial class ArchiveCompatibilityTests(EmulatorFixture emulator)
{
    /// <summary>s3pipe2 -m 1 cuts 1 MB (10^6 bytes) segments.</summary>
    internal const int S3pipe2SegmentBytes = 1_000_000;
    private const long StreamBytes = 2 * S3pipe2SegmentBytes + 456_789;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task A_complete_s3pipe2_archive_is_read_back_byte_for_byte()
    {
        var bucket = await emulator.CreateBucketAsync("compat-s3pipe2");
        var data = new TestData(StreamBytes, seed: 2019);
        for (var i = 1; i <= 3; i++)
        {
            await PutS3pipe2SegmentAsync(_kit, bucket, "archive", data, i);
        }
        await _kit.PutTextAsync(bucket, "archive/.manifest", S3pipe2Manifest(completed: true, numSegments: 3, totalSize: StreamBytes));

        await using var subscriber = _kit.StartSubscriber(["--wait", "5s", ScenarioKit.Url(bucket, "archive")]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        // An s3pipe2 archive has no notifications: the subscriber must not have made a queue for it.
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task An_s3pipe2_archive_still_being_written_is_followed_until_it_completes()
    {
        var bucket = await emulator.CreateBucketAsync("compat-s3pipe2-live");
        var data = new TestData(StreamBytes, seed: 2020);
        await PutS3pipe2SegmentAsync(_kit, bucket, "archive", data, 1);
        await PutS3pipe2SegmentAsync(_kit, bucket, "archive", data, 2);
        await _kit.PutTextAsync(bucket, "archive/.manifest", S3pipe2Manifest(completed: false, numSegments: 2, totalSize: 2 * S3pipe2SegmentBytes));

        // Through a fault-free proxy, only to see which segments the subscriber asks for.
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 2020);
        var asksForSegment3 = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Method == "GET" && r.Key == "archive/000000000000003")
            {
                Interlocked.Increment(ref asksForSegment3);
            }
        };
        await using var subscriber = _kit.StartSubscriber(
            ["--endpoint-url", proxy.Endpoint.ToString(), "--stall-timeout", "30s", ScenarioKit.Url(bucket, "archive")]);
        // It follows the open archive: the first two segments arrive while the archive is still incomplete.
        await Poll.UntilAsync(() => subscriber.StdoutLength >= 2 * S3pipe2SegmentBytes || subscriber.HasExited, TimeSpan.FromSeconds(60),
            "the subscriber to write the two stored segments of the open s3pipe2 archive");
        Assert.False(subscriber.HasExited, $"the subscriber ended before the archive completed:\n{subscriber.StderrTail()}");
        Assert.Equal(2L * S3pipe2SegmentBytes, subscriber.StdoutLength);

        // s3pipe2 uploads its manifest through the same worker queue as the segments, so a manifest can list a
        // segment whose upload has not finished yet: the subscriber has to wait for it, not fail.
        await _kit.PutTextAsync(bucket, "archive/.manifest", S3pipe2Manifest(completed: false, numSegments: 3, totalSize: StreamBytes));
        // A second GET is only sent after the first came back 404: the subscriber is waiting for a listed segment.
        await Poll.UntilAsync(() => Volatile.Read(ref asksForSegment3) >= 2 || subscriber.HasExited, TimeSpan.FromSeconds(60),
            "the subscriber to look for segment 3 twice while it is not stored");
        Assert.False(subscriber.HasExited, $"the subscriber ended while segment 3 was missing:\n{subscriber.StderrTail()}");
        await PutS3pipe2SegmentAsync(_kit, bucket, "archive", data, 3);
        await Poll.UntilAsync(() => subscriber.StdoutLength == StreamBytes || subscriber.HasExited, TimeSpan.FromSeconds(60),
            "the subscriber to write segment 3 while the archive is still open");
        await _kit.PutTextAsync(bucket, "archive/.manifest", S3pipe2Manifest(completed: true, numSegments: 3, totalSize: StreamBytes));

        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task A_published_broadcast_is_an_s3pipe2_archive_cat_0_star_and_ConfigParser_read_it()
    {
        var bucket = await emulator.CreateBucketAsync("compat-reverse");
        var data = new TestData(5L * 1024 * 1024 + 12_345, seed: 5);
        await _kit.PublishAsync(bucket, "dump", data, "-m", "1");

        var objects = await _kit.ListAsync(bucket, "dump/");
        var names = objects.Select(o => o.Key["dump/".Length..]).ToList();

        // `cat 0*` in key order gives the stream back.
        var zeroes = names.Where(n => n.StartsWith('0')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            long total = 0;
            foreach (var name in zeroes)
            {
                var bytes = await _kit.ReadBytesAsync(bucket, "dump/" + name);
                sha.AppendData(bytes);
                total += bytes.Length;
            }
            Assert.Equal(data.Length, total);
            Assert.Equal(data.Sha256, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }

        // Nothing but segments starts with '0': every such name is a 15-digit index, 1..n without gaps.
        Assert.All(zeroes, n => Assert.Matches(SegmentName(), n));
        Assert.Equal(Enumerable.Range(1, zeroes.Count).Select(i => i.ToString("D15", CultureInfo.InvariantCulture)), zeroes);
        Assert.Equal(6, zeroes.Count);
        Assert.Equal(new[] { ".checksums", ".manifest" }, names.Where(n => !n.StartsWith('0')).OrderBy(n => n, StringComparer.Ordinal));

        // The manifest as s3pipe2 reads it: ConfigParser, section [s3pipe2], getint/getboolean.
        var text = await _kit.TryReadTextAsync(bucket, "dump/.manifest");
        Assert.NotNull(text);
        var sections = ConfigParserIni.Parse(text);
        Assert.True(sections.ContainsKey("s3pipe2"), "no [s3pipe2] section in:\n" + text);
        var manifest = sections["s3pipe2"];
        Assert.True(ConfigParserIni.GetBoolean(manifest, "completed"), "completed is not true in:\n" + text);
        Assert.Equal(zeroes.Count, ConfigParserIni.GetInt(manifest, "num_segments"));
        Assert.Equal(data.Length, ConfigParserIni.GetInt(manifest, "total_size"));
        Assert.Equal(1, ConfigParserIni.GetInt(manifest, "segment_size"));
        Assert.True(manifest.ContainsKey("version"), "no version in:\n" + text);
        Assert.True(manifest.ContainsKey("upload_began"), "no upload_began in:\n" + text);
        Assert.True(manifest.ContainsKey("upload_ended"), "no upload_ended in:\n" + text);
        Assert.Equal("complete", manifest["state"]);
        Assert.Equal(data.Sha256, manifest["stream_sha256"]);
    }

    internal static async Task PutS3pipe2SegmentAsync(ScenarioKit kit, string bucket, string name, TestData data, int index)
    {
        var offset = (long)(index - 1) * S3pipe2SegmentBytes;
        var bytes = data.Slice(offset, (int)Math.Min(S3pipe2SegmentBytes, data.Length - offset));
        await kit.PutBytesAsync(bucket, $"{name}/{index.ToString("D15", CultureInfo.InvariantCulture)}", bytes);
    }

    /// <summary>The manifest exactly as s3pipe2 0.1 writes it: Python 2 RawConfigParser.write, keys in insertion order, a blank line at the end.</summary>
    internal static string S3pipe2Manifest(bool completed, long numSegments, long totalSize)
    {
        var text = "[s3pipe2]\n" +
            "version = 0.1\n" +
            "segment_size = 1\n" +
            "upload_began = 2019-03-14T15:09:26.535897\n" +
            $"completed = {(completed ? "true" : "false")}\n" +
            $"num_segments = {numSegments.ToString(CultureInfo.InvariantCulture)}\n" +
            $"total_size = {totalSize.ToString(CultureInfo.InvariantCulture)}\n";
        if (completed)
        {
            text += "upload_ended = 2019-03-14T15:09:31.979323\n";
        }
        return text + "\n";
    }

    [GeneratedRegex("^[0-9]{15}$")]
    private static partial Regex SegmentName();
}
