using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>The mirror service (<c>s3fanout-subscribe serve</c>) against the emulator, with real publishers.</summary>
[Collection("emulator-fleet")]
public sealed partial class FleetServiceTests(EmulatorFixture emulator, ITestOutputHelper output) : IDisposable
{
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenBroadcastsArriveOneAfterAnotherAndTogether_EveryFileIsIdenticalAndAppearsOnlyWhenComplete()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-seq");
        await using var service = _fleet.StartService(_fleet.WriteConfig("a", $"s3://{bucket}/nightly/"));
        await FleetKit.WaitUntilReadyAsync(service);

        var expected = new ConcurrentDictionary<string, TestData>();
        var sink = _fleet.SinkDir("a");
        using var watching = new CancellationTokenSource();
        var early = new ConcurrentBag<string>();
        var watcher = Task.Run(async () =>
        {
            // Any file at its final name must already be whole: a reader never sees half a file as complete.
            while (!watching.IsCancellationRequested)
            {
                if (Directory.Exists(sink))
                {
                    foreach (var file in Directory.EnumerateFiles(sink, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.s3fanout/", StringComparison.Ordinal)))
                    {
                        var name = Path.GetRelativePath(sink, file);
                        if (!expected.TryGetValue(name, out var data) || new FileInfo(file).Length != data.Length)
                        {
                            early.Add($"{name} ({new FileInfo(file).Length} bytes)");
                        }
                    }
                }
                await Task.Delay(20);
            }
        });

        for (var i = 1; i <= 3; i++)
        {
            var data = expected[$"seq-{i}"] = new TestData((3 + i) * 1024L * 1024, seed: 100 + i);
            await _fleet.Scenarios.PublishAsync(bucket, $"nightly/seq-{i}", data, "-m", "1");
        }
        expected["together/one"] = new TestData(6L * 1024 * 1024, seed: 201);
        expected["together/two"] = new TestData(5L * 1024 * 1024, seed: 202);
        await using (var one = _fleet.Scenarios.StartPublisher(["-m", "1", ScenarioKit.Url(bucket, "nightly/together/one")], stdinPipe: true))
        await using (var two = _fleet.Scenarios.StartPublisher(["-m", "1", ScenarioKit.Url(bucket, "nightly/together/two")], stdinPipe: true))
        {
            using var s1 = expected["together/one"].OpenRead();
            using var s2 = expected["together/two"].OpenRead();
            await Task.WhenAll(
                ScenarioKit.FeedAsync(one.StandardInput, s1, 256 * 1024, TimeSpan.FromMilliseconds(30)),
                ScenarioKit.FeedAsync(two.StandardInput, s2, 256 * 1024, TimeSpan.FromMilliseconds(30)));
            await one.StandardInput.DisposeAsync();
            await two.StandardInput.DisposeAsync();
            await one.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            await two.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }

        foreach (var (name, data) in expected)
        {
            var path = Path.Combine(sink, name);
            await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(60), $"{name} to be mirrored");
            Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
        }
        await watching.CancelAsync();
        await watcher;
        Assert.True(early.IsEmpty, "files appeared before they were complete: " + string.Join(", ", early.Distinct()));
        Assert.Equal(expected.Count, Directory.EnumerateFiles(sink, "*", SearchOption.AllDirectories).Count(f => !f.Contains("/.s3fanout/", StringComparison.Ordinal)));

        await FleetKit.StopAsync(service);
        Assert.Empty(await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task WhenFiveInstancesMirrorOneChannel_AllGetIdenticalFiles()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-five");
        var services = Enumerable.Range(1, 5).Select(i => _fleet.StartService(_fleet.WriteConfig($"i{i}", $"s3://{bucket}/"))).ToList();
        try
        {
            foreach (var s in services)
            {
                await FleetKit.WaitUntilReadyAsync(s);
            }
            var data = new TestData(12L * 1024 * 1024, seed: 55);
            await _fleet.Scenarios.PublishAsync(bucket, "shared/stream", data, "-m", "2");
            for (var i = 1; i <= 5; i++)
            {
                var path = Path.Combine(_fleet.SinkDir($"i{i}"), "shared", "stream");
                await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(90), $"instance {i} to mirror the broadcast");
                Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
            }
        }
        finally
        {
            foreach (var s in services)
            {
                await FleetKit.StopAsync(s);
                await s.DisposeAsync();
            }
        }
        Assert.Empty(await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task WhenServiceIsKilledHalfwayThrough128MiB_ItResumesAndTheFileIsIdentical()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-kill");
        var config = _fleet.WriteConfig("k", $"s3://{bucket}/big/");
        var data = new TestData(128L * 1024 * 1024, seed: 128);
        await using var publisher = _fleet.Scenarios.StartPublisher([ScenarioKit.Url(bucket, "big/stream")], stdinPipe: true);
        using var source = data.OpenRead();
        long checkpointed;
        await using (var first = _fleet.StartService(config, "-v"))
        {
            await FleetKit.WaitUntilReadyAsync(first);
            // Half the stream, then hold the rest back until the service has been killed.
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, 1024 * 1024, TimeSpan.Zero, maxBytes: data.Length / 2);
            // The directory sink's own checkpoint, beside its partial file.
            var work = Path.Combine(_fleet.SinkDir("k"), ".s3fanout");
            var segments = await Poll.ForValueAsync(() =>
            {
                var text = Directory.Exists(work) ? string.Concat(Directory.GetFiles(work, "*.partial.state").Select(File.ReadAllText)) : "";
                var m = SegmentsInState().Match(text);
                return Task.FromResult(m.Success && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 4 ? m.Groups[1].Value : null);
            }, TimeSpan.FromSeconds(60), "the service to checkpoint 4 segments");
            checkpointed = long.Parse(segments, System.Globalization.CultureInfo.InvariantCulture);
            first.Kill(ProcessSignal.Kill);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.False(File.Exists(Path.Combine(_fleet.SinkDir("k"), "stream")), "a killed service must not leave the file at its final name");

        await using var second = _fleet.StartService(config, "-v");
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 1024 * 1024, TimeSpan.Zero);
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        var path = Path.Combine(_fleet.SinkDir("k"), "stream");
        await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(120), "the restarted service to finish the broadcast");
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));

        var resumed = ResumedAfter().Match(second.Stderr);
        Assert.True(resumed.Success, "the log must show a resume: " + second.StderrTail());
        var from = long.Parse(resumed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(from >= checkpointed, $"resumed after segment {from}, but {checkpointed} were checkpointed before the kill");
        Assert.DoesNotContain("Wrote segment 1 ", second.Stderr, StringComparison.Ordinal);
        output.WriteLine($"killed after {checkpointed} checkpointed segments, resumed after segment {from}");
        await FleetKit.StopAsync(second);
    }

    [Fact]
    public async Task WhenBroadcastRanWhileServiceWasDown_ItIsCaughtUpOnceAndNeverTwice()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-catchup");
        var config = _fleet.WriteConfig("c", $"s3://{bucket}/jobs/");
        var data = new TestData(3L * 1024 * 1024, seed: 77);
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/while-down", data, "-m", "1");

        await using (var first = _fleet.StartService(config))
        {
            await FleetKit.WaitUntilReadyAsync(first);
            Assert.Contains("Catch-up done: 1 broadcast(s) queued", first.Stderr, StringComparison.Ordinal);
            var path = Path.Combine(_fleet.SinkDir("c"), "while-down");
            await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(60), "the caught-up broadcast to be mirrored");
            Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
            await FleetKit.StopAsync(first);
        }
        var written = File.GetLastWriteTimeUtc(Path.Combine(_fleet.SinkDir("c"), "while-down"));

        await using var second = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(second);
        Assert.Contains("Catch-up done: 0 broadcast(s) queued", second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Mirroring s3://", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(_fleet.SinkDir("c"), "while-down")));
        await FleetKit.StopAsync(second);
    }

    [Fact]
    public async Task WhenBroadcastNamesAreHostile_NothingIsWrittenOutsideTheSink()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-hostile");
        var config = _fleet.WriteConfig("h", $"s3://{bucket}/in/");
        // Archives written by someone else, straight into S3, so no client-side check stands in the way.
        var hostile = new[] { "in/../../escape", "in/a/../../../escape2", "in/ctrl\u0007name", "in/" + new string('x', 250), "in/.s3fanout/x" };
        foreach (var name in hostile)
        {
            await _fleet.Scenarios.PutBytesAsync(bucket, name + "/000000000000001", [1, 2, 3]);
            await _fleet.Scenarios.PutTextAsync(bucket, name + "/.manifest",
                "[s3pipe2]\nversion = 0.1\nsegment_size = 1\ncompleted = true\nnum_segments = 1\ntotal_size = 3\n");
        }
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var good = new TestData(1024 * 1024, seed: 9);
        await _fleet.Scenarios.PublishAsync(bucket, "in/good", good);
        var path = Path.Combine(_fleet.SinkDir("h"), "good");
        await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(60), "the well-named broadcast to be mirrored");
        await FleetKit.StopAsync(service);

        // Only the instance folder may have changed, and inside the sink only the good file (plus the work folder).
        var outside = Directory.EnumerateFileSystemEntries(_fleet.Root, "*escape*", SearchOption.AllDirectories).ToList();
        Assert.Empty(outside);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "escape")));
        var files = Directory.EnumerateFiles(_fleet.SinkDir("h"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/.s3fanout/", StringComparison.Ordinal)).Select(f => Path.GetRelativePath(_fleet.SinkDir("h"), f)).ToList();
        Assert.Equal(["good"], files);
        Assert.Equal(good.Sha256, await FleetKit.Sha256Async(path));
    }

    [Theory]
    [InlineData("""{"S3Fanout":{"StateDirectory":"STATE","Channels":[{"Url":"s3://","Sink":{"Type":"directory","Path":"/tmp/x"}}]}}""", "S3Fanout:Channels:0:Url")]
    [InlineData("""{"S3Fanout":{"StateDirectory":"STATE","Channels":[{"Url":"s3://some-bucket/x/","Sink":{"Type":"ftp","Path":"/tmp/x"}}]}}""", "Sink:Type 'ftp' is unknown")]
    [InlineData("""{"S3Fanout":{"StateDirectory":"STATE","MaxConcurrentBroadcasts":-1,"Channels":[{"Url":"s3://some-bucket/x/","Sink":{"Type":"directory","Path":"/tmp/x"}}]}}""", "S3Fanout:MaxConcurrentBroadcasts must be 1-64, got -1")]
    [InlineData("""{"S3Fanout":{"StateDirectory":"STATE"}}""", "S3Fanout:Channels is empty")]
    [InlineData("""{"S3Fanout": [ not json""", "cannot read the configuration")]
    public async Task WhenConfigurationIsBad_ServiceStopsAtStartWithOneClearLine(string json, string expected)
    {
        var path = Path.Combine(_fleet.Root, "bad.json");
        await File.WriteAllTextAsync(path, json.Replace("STATE", Path.Combine(_fleet.Root, "state"), StringComparison.Ordinal));
        await using var service = _fleet.StartService(path);
        var code = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, code);
        var line = ScenarioKit.AssertOneErrorLine(service, ScenarioKit.Subscribe);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenSinkIsACommand_EachBroadcastIsPipedIntoItsOwnRun()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-cmd");
        var outDir = Directory.CreateDirectory(Path.Combine(_fleet.Root, "cmd-out")).FullName;
        var command = $"sha256sum | cut -d' ' -f1 > \"{outDir}/$(basename \"$S3FANOUT_BROADCAST\").sha\"";
        var config = _fleet.WriteConfig("cmd", $"s3://{bucket}/p/", new { Type = "command", Command = command });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var a = new TestData(2L * 1024 * 1024, seed: 1);
        var b = new TestData(3L * 1024 * 1024, seed: 2);
        await _fleet.Scenarios.PublishAsync(bucket, "p/a", a, "-m", "1");
        await _fleet.Scenarios.PublishAsync(bucket, "p/b", b, "-m", "1");
        foreach (var (name, data) in new[] { ("a", a), ("b", b) })
        {
            var sha = Path.Combine(outDir, name + ".sha");
            await Poll.UntilAsync(() => File.Exists(sha) && new FileInfo(sha).Length > 0 && service.Stderr.Contains($"Mirrored s3://{bucket}/p/{name}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), $"the command to receive broadcast {name}");
            Assert.Equal(data.Sha256, (await File.ReadAllTextAsync(sha)).Trim());
        }
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task WhenSinkCommandFails_TheFailureIsReportedAndRecorded()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-cmdfail");
        var config = _fleet.WriteConfig("f", $"s3://{bucket}/p/", new { Type = "command", Command = "cat > /dev/null; exit 3" });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        await _fleet.Scenarios.PublishAsync(bucket, "p/x", new TestData(1024 * 1024, seed: 3));
        await Poll.UntilAsync(() => service.Stderr.Contains("exited with code 3", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the failed command to be reported");
        var state = string.Concat(Directory.GetFiles(Path.Combine(_fleet.StateDir("f"), "broadcasts"), "*.json").Select(File.ReadAllText));
        Assert.Contains("\"status\": \"failed\"", state, StringComparison.Ordinal);
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task WhenSinkCommandNeverExits_ItIsKilledWithItsChildrenAfterExitTimeout_AndTheBroadcastFails()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-cmdhang");
        var pids = Path.Combine(_fleet.Root, "pids");
        Directory.CreateDirectory(pids);
        // Reads the whole stream, then waits on a child that never ends (as a command stuck after EOF would).
        var command = $"cat > /dev/null; sleep 600 & echo $! > \"{pids}/$(basename \"$S3FANOUT_BROADCAST\")\"; wait";
        var config = _fleet.WriteConfig("hang", $"s3://{bucket}/p/", new { Type = "command", Command = command, ExitTimeout = "00:00:02" });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);

        await _fleet.Scenarios.PublishAsync(bucket, "p/stuck", new TestData(1024 * 1024, seed: 31));
        await Poll.UntilAsync(() => service.Stderr.Contains("after the end of the stream (Sink:ExitTimeout)", StringComparison.Ordinal) || service.HasExited,
            TimeSpan.FromSeconds(60), "the hung command to be killed");

        Assert.False(service.HasExited, $"the service stopped:\n{service.StderrTail()}");
        var child = int.Parse((await File.ReadAllTextAsync(Path.Combine(pids, "stuck"))).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Poll.UntilAsync(() => !Directory.Exists($"/proc/{child}"), TimeSpan.FromSeconds(10), $"the command's child {child} to be gone");
        var state = string.Concat(Directory.GetFiles(Path.Combine(_fleet.StateDir("hang"), "broadcasts"), "*.json").Select(File.ReadAllText));
        Assert.Contains("\"status\": \"failed\"", state, StringComparison.Ordinal);
        await FleetKit.StopAsync(service);
    }

    public void Dispose() => _fleet.Dispose();

    [GeneratedRegex("\"segments\": (\\d+)")]
    private static partial Regex SegmentsInState();

    [GeneratedRegex(@"Resuming \S+ into \S+ after segment (\d+)")]
    private static partial Regex ResumedAfter();
}
