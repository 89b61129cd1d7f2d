using System.Globalization;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>Streams at the edges: nothing at all, an exact multiple of the segment size, one huge line without newlines.</summary>
[Collection("emulator")]
public sealed class EmptyAndEdgeTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Empty_stdin_is_a_valid_empty_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("empty");
        var url = ScenarioKit.Url(bucket, "nothing");
        await using var before = _kit.StartSubscriber(["--stall-timeout", "30s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);

        await using (var publisher = _kit.StartPublisher([url], stdin: Stream.Null))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        await using var after = _kit.StartSubscriber([url]);

        foreach (var subscriber in new[] { before, after })
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(0, subscriber.StdoutLength);
        }

        // Like s3pipe2: one empty segment, so `cat 0*` works and gives nothing.
        var manifest = await _kit.ReadManifestAsync(bucket, "nothing");
        Assert.Equal("true", manifest["completed"]);
        Assert.Equal("0", manifest["total_size"]);
        Assert.Equal("1", manifest["num_segments"]);
        var segments = (await _kit.ListAsync(bucket, "nothing/0")).ToList();
        Assert.Equal(["nothing/000000000000001"], segments.Select(o => o.Key));
        Assert.Equal(0, segments[0].Size);
    }

    [Fact]
    public async Task Stream_of_exactly_three_segments_has_no_empty_fourth_segment()
    {
        var bucket = await emulator.CreateBucketAsync("exact");
        var url = ScenarioKit.Url(bucket, "three");
        var data = new TestData(3L * MiB, seed: 3);
        // A live subscriber too: it learns only at EOF that the last full segment was the last one.
        await using var live = _kit.StartSubscriber(["--stall-timeout", "30s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);

        await using (var publisher = _kit.StartPublisher(["-m", "1", url], stdinPipe: true))
        {
            await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 256 * 1024, TimeSpan.FromMilliseconds(10));
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        await using var after = _kit.StartSubscriber([url]);

        foreach (var subscriber in new[] { live, after })
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Length, subscriber.StdoutLength);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        }

        var segments = await _kit.ListAsync(bucket, "three/0");
        Assert.Equal(Enumerable.Range(1, 3).Select(i => "three/" + i.ToString("D15", CultureInfo.InvariantCulture)), segments.Select(o => o.Key));
        Assert.All(segments, o => Assert.Equal(MiB, o.Size));
        var manifest = await _kit.ReadManifestAsync(bucket, "three");
        Assert.Equal("3", manifest["num_segments"]);
        Assert.Equal(data.Length.ToString(CultureInfo.InvariantCulture), manifest["total_size"]);
    }

    [Fact]
    public async Task One_twenty_MiB_line_without_newlines_arrives_intact()
    {
        var bucket = await emulator.CreateBucketAsync("one-line");
        var url = ScenarioKit.Url(bucket, "line");
        const long Length = 20L * MiB;
        await using var live = _kit.StartSubscriber(["--stall-timeout", "30s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);

        // Written in pauses with a short flush interval, so partial segments are sealed in the middle of the line.
        await using (var publisher = _kit.StartPublisher(["--flush-interval", "100ms", url], stdinPipe: true))
        {
            await ScenarioKit.FeedAsync(publisher.StandardInput, new NoNewlines(new TestData(Length, seed: 20).OpenRead()), 512 * 1024, TimeSpan.FromMilliseconds(40));
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }
        var expectedSha = TestData.Sha256Hex(new NoNewlines(new TestData(Length, seed: 20).OpenRead()));
        await using var after = _kit.StartSubscriber([url]);

        foreach (var subscriber in new[] { live, after })
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(Length, subscriber.StdoutLength);
            Assert.Equal(expectedSha, subscriber.StdoutSha256);
        }
        var manifest = await _kit.ReadManifestAsync(bucket, "line");
        Assert.Equal(Length.ToString(CultureInfo.InvariantCulture), manifest["total_size"]);
    }

    /// <summary>The bytes of <paramref name="inner"/> with every '\n' replaced by ' '.</summary>
    private sealed class NoNewlines(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            buffer[..n].Replace((byte)'\n', (byte)' ');
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
