using System.Diagnostics;
using System.Globalization;
using System.Text;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>A producer writing a line every 200 ms: a running subscriber sees each line within about two seconds.</summary>
[Collection("emulator-timed")]
public sealed class SlowWriterTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int Lines = 15;
    private static readonly TimeSpan s_lineInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromSeconds(2.5);
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Each_line_reaches_a_running_subscriber_within_two_and_a_half_seconds()
    {
        var bucket = await emulator.CreateBucketAsync("slow-writer");
        var url = ScenarioKit.Url(bucket, "log");
        var received = new LineTimingStream();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // -v: the subscriber says when its notification receiver runs, so no line is written before it listens.
        await using var subscriber = _kit.StartSubscriber(["-v", "--stall-timeout", "30s", url], stdout: received,
            onStderrLine: line =>
            {
                if (line.Contains("Receiving notifications", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            });
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Default --flush-interval (1 s).
        await using var publisher = _kit.StartPublisher([url], stdinPipe: true);
        await _kit.WaitForManifestAsync(bucket, "log", m => m["state"] == "open", "the open broadcast");

        var written = new long[Lines];
        var expected = new StringBuilder();
        var next = Stopwatch.GetTimestamp();
        for (var i = 0; i < Lines; i++)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"line {i:D2} of the slow writer\n");
            expected.Append(line);
            written[i] = Stopwatch.GetTimestamp();
            await publisher.StandardInput.WriteAsync(Encoding.UTF8.GetBytes(line));
            await publisher.StandardInput.FlushAsync();
            next += (long)(s_lineInterval.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        // All lines must have arrived while stdin is still open: EOF would seal and announce them anyway.
        await Poll.UntilAsync(() => received.Count >= Lines, TimeSpan.FromSeconds(30), $"all {Lines} lines on the subscriber's stdout before EOF");
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(received.ToArray()));
        var arrivals = received.Arrivals;
        var delays = Enumerable.Range(0, Lines).Select(i => Stopwatch.GetElapsedTime(written[i], arrivals[i])).ToArray();
        var sorted = delays.Order().ToArray();
        var median = sorted[Lines / 2];
        var max = sorted[^1];
        output.WriteLine($"per-line delay: median {median.TotalMilliseconds:0} ms, max {max.TotalMilliseconds:0} ms; all: " +
            string.Join(", ", delays.Select(d => d.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))));
        Assert.True(max <= s_maxDelay,
            $"a line took {max.TotalMilliseconds:0} ms to reach the subscriber (limit {s_maxDelay.TotalMilliseconds:0} ms); median {median.TotalMilliseconds:0} ms; " +
            "all delays: " + string.Join(", ", delays.Select(d => d.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))));
    }

    /// <summary>Collects the bytes written to it and the time each '\n' arrived.</summary>
    private sealed class LineTimingStream : Stream
    {
        private readonly Lock _gate = new();
        private readonly MemoryStream _bytes = new();
        private readonly List<long> _arrivals = [];

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _arrivals.Count;
                }
            }
        }

        public IReadOnlyList<long> Arrivals
        {
            get
            {
                lock (_gate)
                {
                    return [.. _arrivals];
                }
            }
        }

        public byte[] ToArray()
        {
            lock (_gate)
            {
                return _bytes.ToArray();
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _bytes.Write(buffer);
                foreach (var b in buffer)
                {
                    if (b == (byte)'\n')
                    {
                        _arrivals.Add(now);
                    }
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
