using System.Diagnostics;
using System.Globalization;
using Amazon.SQS.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 9: input nobody should trust. A manifest with garbage or absurd values: exit 7 with one line, no crash, no
/// stack trace. Notifications that are not JSON, name another bucket or break the layout, sent straight to the
/// subscriber's queue: ignored, the subscriber still finishes with an exact copy. Keys in the prefix that are not
/// 15-digit segments: ignored. Broadcast names that try path traversal or carry control characters: exit 2.
/// </summary>
[Collection("emulator-reliability")]
public sealed class HostileInputTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const string Sha = "0000000000000000000000000000000000000000000000000000000000000000";
    private readonly ScenarioKit _kit = new(emulator);

    public static TheoryData<string, string> BadManifests() => new()
    {
        { "garbage bytes", "\u0001\u0002 this is {{ not an INI file at all ]]" },
        { "no section", "completed = true\nnum_segments = 1\n" },
        { "negative num_segments", "[s3pipe2]\ncompleted = false\nnum_segments = -5\ns3fanout_format = 1\nstate = open\n" },
        { "huge num_segments, completed", $"[s3pipe2]\ncompleted = true\nnum_segments = 999999999999999\ntotal_size = 10\ns3fanout_format = 1\nstate = complete\nstream_sha256 = {Sha}\n" },
        { "num_segments beyond the key layout", "[s3pipe2]\ncompleted = true\nnum_segments = 99999999999999999999\ntotal_size = 10\n" },
        { "negative total_size", $"[s3pipe2]\ncompleted = true\nnum_segments = 1\ntotal_size = -1\ns3fanout_format = 1\nstate = complete\nstream_sha256 = {Sha}\n" },
        { "completed but open", "[s3pipe2]\ncompleted = true\nnum_segments = 1\ns3fanout_format = 1\nstate = open\n" },
        { "unknown state", "[s3pipe2]\ncompleted = false\ns3fanout_format = 1\nstate = exploded\n" },
        { "sha256 not hex", "[s3pipe2]\ncompleted = true\nnum_segments = 1\ntotal_size = 1\ns3fanout_format = 1\nstate = complete\nstream_sha256 = zz\n" },
        { "future format", "[s3pipe2]\ncompleted = true\nnum_segments = 1\ns3fanout_format = 99\nstate = complete\n" },
        { "huge segment_size_bytes", "[s3pipe2]\ncompleted = false\ns3fanout_format = 1\nstate = open\nsegment_size_bytes = 99999999999999\n" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public async Task A_manifest_with_garbage_or_absurd_values_ends_with_exit_7_and_one_line(string what, string manifest)
    {
        var bucket = await emulator.CreateBucketAsync("bad-manifest");
        await _kit.PutTextAsync(bucket, "stream/.manifest", manifest);

        var clock = Stopwatch.StartNew();
        await using var subscriber = _kit.StartSubscriber(["-t", "2", "--wait", "5s", "--stall-timeout", "5s", ScenarioKit.Url(bucket, "stream")]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: exit {code} after {clock.Elapsed.TotalSeconds:0.0} s, {subscriber.StdoutLength} bytes written\n{line}"));
        Assert.True(code == 7, $"{what}: exit {code}, expected 7:\n{subscriber.StderrTail()}");
        Assert.Equal(0, subscriber.StdoutLength);
    }

    [Fact]
    public async Task A_completed_manifest_claiming_more_segments_than_stored_ends_with_exit_7_after_the_real_ones()
    {
        var bucket = await emulator.CreateBucketAsync("bad-count");
        var data = new TestData(2L * 1024 * 1024, seed: 91);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        var manifest = await _kit.TryReadTextAsync(bucket, "stream/.manifest");
        // Both counts, s3pipe2's and S3Fanout's own, as a manifest consistent with itself would claim them.
        await _kit.PutTextAsync(bucket, "stream/.manifest", manifest!
            .Replace("num_segments = 2", "num_segments = 999999999999999", StringComparison.Ordinal)
            .Replace("stored_segments = 2", "stored_segments = 999999999999999", StringComparison.Ordinal));
        // The index matches the inflated count no more than the objects do; without it the subscriber falls back to metadata.
        await emulator.S3.DeleteObjectAsync(bucket, "stream/.checksums");

        await using var subscriber = _kit.StartSubscriber(["-t", "2", ScenarioKit.Url(bucket, "stream")]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine($"num_segments 2 -> 999999999999999: exit {code}, {subscriber.StdoutLength} bytes written\n{line}");
        Assert.True(code == 7, $"exit {code}, expected 7:\n{subscriber.StderrTail()}");
        // Fetchers run in parallel, so the first missing segment to run out of attempts may be 3, 4, ...: never 1 or 2.
        Assert.Matches(@"segment ([3-9]|\d{2,}) ", line);
        Assert.Equal(data.ToArray(), subscriber.StdoutBytes);
    }

    [Fact]
    public async Task WhenASegmentIsMissingWhileAnEarlierOneIsSlow_TheEarlierOneIsWrittenBeforeExit7()
    {
        var bucket = await emulator.CreateBucketAsync("bad-late");
        var data = new TestData(3L * 1024 * 1024, seed: 94);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        await emulator.S3.DeleteObjectAsync(bucket, KeyLayout.SegmentKey("stream", 3));
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 94);
        // Segment 2 answers 3 s late; segment 3 runs out of its two looks long before that.
        var second = KeyLayout.SegmentKey("stream", 2);
        proxy.Plan = new FaultPlan
        {
            Delay = 1,
            DelayMin = TimeSpan.FromSeconds(3),
            DelayMax = TimeSpan.FromSeconds(3),
            Eligible = r => r.Method == "GET" && r.Key == second,
        };

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "-t", "2", ScenarioKit.Url(bucket, "stream")));
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine($"exit {code}, {subscriber.StdoutLength} bytes written\n{line}");

        Assert.True(code == 7, $"exit {code}, expected 7:\n{subscriber.StderrTail()}");
        Assert.Contains("segment 3 ", line, StringComparison.Ordinal);
        Assert.Equal(data.ToArray()[..(2 * 1024 * 1024)], subscriber.StdoutBytes);
    }

    [Fact]
    public async Task Notifications_that_are_not_JSON_or_name_another_bucket_or_break_the_layout_are_ignored()
    {
        var bucket = await emulator.CreateBucketAsync("bad-notes");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(2L * 1024 * 1024 + 5, seed: 92);
        await using var subscriber = _kit.StartSubscriber([url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        var queue = Assert.Single(await _kit.ListSubscriberQueuesAsync(bucket));
        Assert.StartsWith($"s3fanout-{bucket}-", queue.Split('/')[^1], StringComparison.Ordinal);

        string Segment(string b, string broadcast, long index, string key) =>
            $"{{\"type\":\"segment\",\"v\":1,\"bucket\":\"{b}\",\"broadcast\":\"{broadcast}\",\"sentAt\":\"2025-01-01T00:00:00Z\",\"index\":{index},\"key\":\"{key}\",\"offset\":0,\"size\":5,\"crc64nvme\":\"AAAAAAAAAAA=\"}}";
        var hostile = new[]
        {
            "this is not JSON",
            "{\"Type\":\"Notification\",\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:x\",\"Message\":\"{not json either\"}",
            "{\"type\":\"self-destruct\",\"v\":1,\"bucket\":\"" + bucket + "\",\"broadcast\":\"stream\"}",
            Segment("some-other-bucket", "stream", 1, "stream/000000000000001"),
            Segment(bucket, "stream", 1, "../../etc/passwd"),
            Segment(bucket, "stream", 1, "stream/1"),
            Segment(bucket, "stream", 0, "stream/000000000000000"),
            "{\"type\":\"end\",\"v\":1,\"bucket\":\"" + bucket + "\",\"broadcast\":\"stream\",\"segments\":-1,\"bytes\":5,\"sha256\":\"" + Sha + "\"}",
            "{\"type\":\"aborted\",\"v\":1,\"bucket\":\"some-other-bucket\",\"broadcast\":\"stream\",\"reason\":\"forged\"}",
            new string('x', 20_000),
        };
        foreach (var body in hostile)
        {
            await emulator.Sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queue, MessageBody = body });
        }
        // Receives are paced (--receive-interval) and a short broadcast may end first: the hostile messages are read
        // while the subscriber waits for the broadcast, then the broadcast must still come through exactly.
        static int Ignored(RunningProcess p) => p.Stderr.Split('\n').Count(l => l.Contains("Ignoring", StringComparison.Ordinal));
        await Poll.UntilAsync(() => Ignored(subscriber) >= 5 || subscriber.HasExited, TimeSpan.FromSeconds(60), "the subscriber to read the hostile messages");
        await using var publisher = _kit.StartPublisher(["-m", "1", url], stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var ignored = Ignored(subscriber);
        output.WriteLine($"{hostile.Length} hostile messages sent to {queue.Split('/')[^1]}: subscriber exit {code}, {ignored} 'Ignoring' warnings, copy {(code == 0 && subscriber.StdoutSha256 == data.Sha256 ? "identical" : "DIFFERENT")}");
        Assert.True(code == 0, $"exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        ScenarioKit.AssertNoStackTrace(subscriber.Stderr, subscriber.CommandLine);
        Assert.True(ignored >= 5, $"expected warnings about the ignored messages:\n{subscriber.StderrTail()}");
    }

    [Fact]
    public async Task A_forged_heartbeat_claiming_segments_that_never_come_does_not_hang_the_subscriber()
    {
        var bucket = await emulator.CreateBucketAsync("bad-heartbeat");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(2L * 1024 * 1024, seed: 93);
        await using var subscriber = _kit.StartSubscriber([url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        var queue = Assert.Single(await _kit.ListSubscriberQueuesAsync(bucket));
        // Well-formed and for this very broadcast, but a lie: 50 segments stored.
        await emulator.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queue,
            MessageBody = "{\"type\":\"heartbeat\",\"v\":1,\"bucket\":\"" + bucket + "\",\"broadcast\":\"stream\",\"sentAt\":\"2025-01-01T00:00:00Z\",\"storedSegments\":50,\"storedBytes\":1}",
        });
        // The subscriber deletes a message only after handling it, so an empty queue means the lie was heard.
        await Poll.UntilAsync(
            async () =>
            {
                var left = await emulator.Sqs.GetQueueAttributesAsync(queue, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
                return left.ApproximateNumberOfMessages + left.ApproximateNumberOfMessagesNotVisible == 0;
            },
            TimeSpan.FromSeconds(30), "the subscriber to receive and delete the forged heartbeat");
        await using var publisher = _kit.StartPublisher(["-m", "1", url], stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);
        var clock = Stopwatch.StartNew();
        var code = await subscriber.WaitForExitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"heartbeat claiming 50 segments, broadcast of 2: subscriber exit {code} {clock.Elapsed.TotalSeconds:0.0} s after the publisher finished");
        Assert.True(code == 0, $"exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task Keys_in_the_prefix_that_are_not_15_digit_segments_are_ignored()
    {
        var bucket = await emulator.CreateBucketAsync("bad-keys");
        var data = new TestData(2L * 1024 * 1024 + 77, seed: 94);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        foreach (var key in new[] { "stream/0000000000000030", "stream/00000000000003", "stream/00000000000000x", "stream/0", "stream/000000000000003.tmp", "stream/sub/000000000000003" })
        {
            await _kit.PutTextAsync(bucket, key, "intruder");
        }
        await using var subscriber = _kit.StartSubscriber([ScenarioKit.Url(bucket, "stream")]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 0, $"exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        output.WriteLine($"6 non-segment keys under the prefix: subscriber exit {code}, copy identical");
    }

    public static TheoryData<string> BadNames() =>
    [
        "s3://BUCKET/../x", "s3://BUCKET/a/../b", "s3://BUCKET/./x", "s3://BUCKET/a/..", "s3://BUCKET/..",
        "s3://BUCKET/a\u0001b", "s3://BUCKET/a\nb", "s3://BUCKET/a\u001b[31mred", "s3://BUCKET/tab\there", "s3://BUCKET/a\u007fb",
    ];

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Broadcast_names_with_path_traversal_or_control_characters_are_usage_errors(string name)
    {
        var url = name.Replace("BUCKET", "some-bucket", StringComparison.Ordinal);
        await using var publisher = _kit.StartPublisher([url], stdin: new MemoryStream([1, 2, 3]));
        await using var subscriber = _kit.StartSubscriber(["--wait", "1s", url]);
        foreach (var (process, exe) in new[] { (publisher, ScenarioKit.Publish), (subscriber, ScenarioKit.Subscribe) })
        {
            var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
            Assert.True(code == 2, $"{exe} {Escape(url)}: exit {code}, expected 2:\n{process.StderrTail()}");
            var line = ScenarioKit.AssertOneErrorLine(process, exe);
            Assert.False(line.Any(c => char.IsControl(c)), $"{exe}: the error line carries a control character: {Escape(line)}");
            output.WriteLine($"{exe} {Escape(url)}: exit {code}: {Escape(line)}");
        }
    }

    private static string Escape(string s) => string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
