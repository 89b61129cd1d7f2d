using System.Globalization;
using System.Text;
using System.Text.Json;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Archive;

/// <summary>
/// <c>s3fanout-subscribe ls / info / verify / rm</c> against broadcasts the real publisher left in the emulator
/// (complete, aborted), an s3pipe2 archive, and segments a test overwrote in S3.
/// </summary>
[Collection("emulator")]
public sealed class ArchiveCommandTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Ls_shows_every_broadcast_under_the_prefix_with_its_state_size_and_segments_and_json_parses_back()
    {
        var bucket = await emulator.CreateBucketAsync("archive-ls");
        var complete = new TestData(2L * MiB + 4321, seed: 101);
        await _kit.PublishAsync(bucket, "nightly/complete", complete, "-m", "1", "--notify", "none");
        await PublishAbortedAsync(bucket, "nightly/aborted", new TestData(100_000, seed: 102));
        await PutS3pipe2ArchiveAsync(bucket, "nightly/s3pipe2-open", new TestData(1_500_000, seed: 103), completed: false);
        await _kit.PublishAsync(bucket, "elsewhere/other", new TestData(10, seed: 104), "--notify", "none");

        var (ls, text) = await RunAsync(["ls", $"s3://{bucket}/nightly/"]);
        await using (ls)
        {
            var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(["NAME", "STATE", "SIZE", "SEGMENTS", "STARTED", "ENDED"], rows[0]);
            Assert.Equal(["nightly/aborted", "nightly/complete", "nightly/s3pipe2-open"], rows.Skip(1).Select(r => r[0]));
            Assert.Equal(["aborted", "complete", "open"], rows.Skip(1).Select(r => r[1]));
            var completeRow = rows[2];
            Assert.Equal(["2.0", "MiB", "3"], completeRow[2..5]);
            Assert.DoesNotContain("elsewhere", text, StringComparison.Ordinal);
        }

        var (lsJson, json) = await RunAsync(["ls", "--json", $"s3://{bucket}/nightly/"]);
        await using (lsJson)
        {
            using var doc = JsonDocument.Parse(json);
            var items = doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
            Assert.Equal(3, items.Count);
            var c = items["nightly/complete"];
            Assert.Equal($"s3://{bucket}/nightly/complete", c.GetProperty("url").GetString());
            Assert.Equal("complete", c.GetProperty("state").GetString());
            Assert.Equal("s3fanout", c.GetProperty("format").GetString());
            Assert.Equal(complete.Length, c.GetProperty("size_bytes").GetInt64());
            Assert.Equal(3, c.GetProperty("segments").GetInt64());
            Assert.Equal(complete.Sha256, c.GetProperty("stream_sha256").GetString());
            Assert.True(c.GetProperty("ended").GetDateTimeOffset() >= c.GetProperty("started").GetDateTimeOffset());
            var a = items["nightly/aborted"];
            Assert.Equal("aborted", a.GetProperty("state").GetString());
            Assert.False(string.IsNullOrEmpty(a.GetProperty("abort_reason").GetString()));
            Assert.Equal(JsonValueKind.Null, a.GetProperty("stream_sha256").ValueKind);
            var legacy = items["nightly/s3pipe2-open"];
            Assert.Equal("open", legacy.GetProperty("state").GetString());
            Assert.Equal("s3pipe2", legacy.GetProperty("format").GetString());
            Assert.Equal(1, legacy.GetProperty("segments").GetInt64()); // of 2: the second is still being written
            Assert.Equal(JsonValueKind.Null, legacy.GetProperty("ended").ValueKind);
        }

        // The whole bucket, and a prefix that holds nothing: an empty JSON array, exit 0.
        var (all, allText) = await RunAsync(["ls", $"s3://{bucket}"]);
        await using (all)
        {
            Assert.Contains("elsewhere/other", allText, StringComparison.Ordinal);
            Assert.Contains("nightly/complete", allText, StringComparison.Ordinal);
        }
        var (none, noneJson) = await RunAsync(["ls", "--json", $"s3://{bucket}/nothing-here/"]);
        await using (none)
        {
            using var doc = JsonDocument.Parse(noneJson);
            Assert.Equal(0, doc.RootElement.GetArrayLength());
        }
    }

    [Fact]
    public async Task Ls_finds_broadcasts_past_many_segments_without_listing_them_all()
    {
        // 1200 one-byte segments are more than one LIST page (1000 keys): the broadcast after them must still be found.
        var bucket = await emulator.CreateBucketAsync("archive-ls-pages");
        const int Segments = 1200;
        await Parallel.ForEachAsync(Enumerable.Range(1, Segments), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await _kit.PutBytesAsync(bucket, $"a/{i.ToString("D15", CultureInfo.InvariantCulture)}", [(byte)'x']));
        await _kit.PutTextAsync(bucket, "a/.manifest", S3pipe2Manifest(completed: true, Segments, Segments));
        await _kit.PutTextAsync(bucket, "b/.manifest", S3pipe2Manifest(completed: true, 0, 0));

        var (ls, json) = await RunAsync(["ls", "--json", $"s3://{bucket}/"]);
        await using (ls)
        {
            using var doc = JsonDocument.Parse(json);
            Assert.Equal(["a", "b"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
            Assert.Equal(Segments, doc.RootElement[0].GetProperty("segments").GetInt64());
        }
    }

    [Fact]
    public async Task Info_shows_the_manifest_readably_and_as_json()
    {
        var bucket = await emulator.CreateBucketAsync("archive-info");
        var data = new TestData(3L * MiB, seed: 201);
        await _kit.PublishAsync(bucket, "dumps/db", data, "-m", "1", "--notify", "none");

        var (info, text) = await RunAsync(["info", $"s3://{bucket}/dumps/db"]);
        await using (info)
        {
            Assert.Contains($"broadcast:     s3://{bucket}/dumps/db\n", text, StringComparison.Ordinal);
            Assert.Contains("state:         complete\n", text, StringComparison.Ordinal);
            Assert.Contains("size:          3,145,728 bytes (3.0 MiB)\n", text, StringComparison.Ordinal);
            Assert.Contains("segments:      3 of 1.0 MiB\n", text, StringComparison.Ordinal);
            Assert.Contains($"stream sha256: {data.Sha256}\n", text, StringComparison.Ordinal);
            Assert.Contains("index in .checksums", text, StringComparison.Ordinal);
        }

        var (infoJson, json) = await RunAsync(["info", "--json", $"s3://{bucket}/dumps/db"]);
        await using (infoJson)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            Assert.Equal("complete", root.GetProperty("state").GetString());
            Assert.True(root.GetProperty("completed").GetBoolean());
            Assert.Equal(data.Length, root.GetProperty("size_bytes").GetInt64());
            Assert.Equal(3, root.GetProperty("segments").GetInt64());
            Assert.Equal(1, root.GetProperty("segment_size_mb").GetInt64());
            Assert.Equal(MiB, root.GetProperty("segment_size_bytes").GetInt64());
            Assert.Equal("crc64nvme", root.GetProperty("checksum_algorithm").GetString());
            Assert.True(root.GetProperty("checksums_index").GetBoolean());
            Assert.Equal(data.Sha256, root.GetProperty("stream_sha256").GetString());
            Assert.Equal("none", root.GetProperty("notify").GetString());
        }

        await using var missing = _kit.StartSubscriber(["info", $"s3://{bucket}/dumps/nope"]);
        Assert.Equal(3, await missing.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Contains("no broadcast at", ScenarioKit.AssertOneErrorLine(missing, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_passes_an_intact_broadcast_and_an_s3pipe2_archive()
    {
        var bucket = await emulator.CreateBucketAsync("archive-verify-ok");
        var data = new TestData(5L * MiB + 17, seed: 301);
        await _kit.PublishAsync(bucket, "intact", data, "-m", "1", "--notify", "none");
        await PutS3pipe2ArchiveAsync(bucket, "legacy", new TestData(2_345_678, seed: 302), completed: true);

        var (verify, text) = await RunAsync(["verify", "-n", "2", $"s3://{bucket}/intact"]);
        await using (verify)
        {
            Assert.Equal($"OK s3://{bucket}/intact: 6 of 6 segments verified (checksums), 5,242,897 bytes, stream SHA-256 matches\n", text);
            // It reads the archive and writes nothing back.
            Assert.Equal(8, (await _kit.ListAsync(bucket, "intact/")).Count);
        }

        var (json, jsonText) = await RunAsync(["verify", "--json", $"s3://{bucket}/intact"]);
        await using (json)
        {
            using var doc = JsonDocument.Parse(jsonText);
            var root = doc.RootElement;
            Assert.True(root.GetProperty("ok").GetBoolean());
            Assert.Equal(6, root.GetProperty("segments_verified").GetInt64());
            Assert.Equal(data.Length, root.GetProperty("bytes").GetInt64());
            Assert.Equal(data.Sha256, root.GetProperty("stream_sha256_actual").GetString());
            Assert.True(root.GetProperty("stream_sha256_ok").GetBoolean());
            Assert.Equal(0, root.GetProperty("bad_segments").GetArrayLength());
        }

        var (legacy, legacyText) = await RunAsync(["verify", $"s3://{bucket}/legacy"]);
        await using (legacy)
        {
            Assert.StartsWith($"OK s3://{bucket}/legacy: 3 of 3 segments verified (etag_md5), 2,345,678 bytes", legacyText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_names_every_segment_overwritten_in_S3_and_exits_7()
    {
        var bucket = await emulator.CreateBucketAsync("archive-verify-bad");
        var data = new TestData(5L * MiB, seed: 401);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1", "--notify", "none");
        await _kit.OverwriteSegmentAsync(bucket, "stream", 2);
        await _kit.OverwriteSegmentAsync(bucket, "stream", 4);

        await using var verify = _kit.StartSubscriber(["verify", "-t", "2", $"s3://{bucket}/stream"]);
        var code = await verify.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 7, $"verify exit {code}, expected 7:\n{verify.StderrTail()}");
        var report = verify.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var bad = report.Where(l => l.StartsWith("BAD segment ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, bad.Count);
        Assert.StartsWith($"BAD segment 2 (s3://{bucket}/stream/000000000000002): CRC64/NVME is ", bad[0], StringComparison.Ordinal);
        Assert.StartsWith($"BAD segment 4 (s3://{bucket}/stream/000000000000004): CRC64/NVME is ", bad[1], StringComparison.Ordinal);
        Assert.StartsWith($"FAILED s3://{bucket}/stream: 3 of 5 segments verified", report[^1], StringComparison.Ordinal);
        var line = ScenarioKit.AssertOneErrorLine(verify, ScenarioKit.Subscribe);
        Assert.Contains("failed verification: bad segments 2, 4", line, StringComparison.Ordinal);

        await using var json = _kit.StartSubscriber(["verify", "-t", "1", "--json", $"s3://{bucket}/stream"]);
        Assert.Equal(7, await json.WaitForExitAsync(ScenarioKit.ExitDeadline));
        using var doc = JsonDocument.Parse(json.StdoutText);
        var root = doc.RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal([2L, 4L], root.GetProperty("bad_segments").EnumerateArray().Select(b => b.GetProperty("index").GetInt64()));
        Assert.Equal("stream/000000000000002", root.GetProperty("bad_segments")[0].GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stream_sha256_ok").ValueKind);
        Assert.Equal(3, root.GetProperty("segments_verified").GetInt64());
    }

    [Fact]
    public async Task Verify_flags_a_missing_segment_and_one_that_should_not_be_there()
    {
        var bucket = await emulator.CreateBucketAsync("archive-verify-gaps");
        await _kit.PublishAsync(bucket, "stream", new TestData(3L * MiB, seed: 501), "-m", "1", "--notify", "none");
        await emulator.S3.DeleteObjectAsync(bucket, "stream/000000000000001");
        await _kit.PutBytesAsync(bucket, "stream/000000000000004", [1, 2, 3]);

        await using var json = _kit.StartSubscriber(["verify", "-t", "1", "--json", $"s3://{bucket}/stream"]);
        Assert.Equal(7, await json.WaitForExitAsync(ScenarioKit.ExitDeadline));
        using var doc = JsonDocument.Parse(json.StdoutText);
        var bad = doc.RootElement.GetProperty("bad_segments").EnumerateArray().ToList();
        Assert.Equal([1L, 4L], bad.Select(b => b.GetProperty("index").GetInt64()));
        Assert.Contains("missing", bad[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("not part of the broadcast", bad[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("bad segments 1, 4", ScenarioKit.AssertOneErrorLine(json, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_of_an_aborted_broadcast_checks_what_is_stored_and_exits_8()
    {
        var bucket = await emulator.CreateBucketAsync("archive-verify-aborted");
        await PublishAbortedAsync(bucket, "cut", new TestData(200_000, seed: 601));

        await using var verify = _kit.StartSubscriber(["verify", $"s3://{bucket}/cut"]);
        Assert.Equal(8, await verify.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.StartsWith($"ABORTED s3://{bucket}/cut: ", verify.StdoutText, StringComparison.Ordinal);
        Assert.Contains("aborted, not complete", ScenarioKit.AssertOneErrorLine(verify, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rm_without_yes_and_without_a_terminal_refuses_with_exit_2_and_deletes_nothing()
    {
        var bucket = await emulator.CreateBucketAsync("archive-rm-refuse");
        await _kit.PublishAsync(bucket, "keep", new TestData(1000, seed: 701), "--notify", "none");
        var before = await _kit.ListAsync(bucket, "");

        await using var rm = _kit.StartSubscriber(["rm", $"s3://{bucket}/keep"]);
        Assert.Equal(2, await rm.WaitForExitAsync(ScenarioKit.ExitDeadline));
        var line = ScenarioKit.AssertOneErrorLine(rm, ScenarioKit.Subscribe);
        Assert.Contains("--yes", line, StringComparison.Ordinal);
        Assert.Contains("not a terminal", line, StringComparison.Ordinal);
        Assert.Equal(before.Select(o => o.Key), (await _kit.ListAsync(bucket, "")).Select(o => o.Key));
    }

    [Fact]
    public async Task Rm_yes_deletes_every_object_of_the_broadcast_and_nothing_beside_it()
    {
        var bucket = await emulator.CreateBucketAsync("archive-rm-yes");
        await _kit.PublishAsync(bucket, "logs/app", new TestData(3L * MiB + 5, seed: 801), "-m", "1", "--notify", "none");
        await _kit.PublishAsync(bucket, "logs/app2", new TestData(10, seed: 802), "--notify", "none");
        var objects = await _kit.ListAsync(bucket, "logs/app/");
        Assert.Equal(6, objects.Count); // 4 segments, .manifest, .checksums

        var (rm, json) = await RunAsync(["rm", "--yes", "--json", $"s3://{bucket}/logs/app"]);
        await using (rm)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            Assert.Equal($"s3://{bucket}/logs/app", root.GetProperty("url").GetString());
            Assert.Equal("complete", root.GetProperty("state").GetString());
            Assert.Equal(6, root.GetProperty("deleted_objects").GetInt64());
            Assert.Equal(4, root.GetProperty("deleted_segments").GetInt64());
            Assert.Equal(objects.Sum(o => o.Size ?? 0), root.GetProperty("deleted_bytes").GetInt64());
            Assert.Equal(0, root.GetProperty("left_objects").GetArrayLength());
        }
        Assert.Empty(await _kit.ListAsync(bucket, "logs/app/"));
        // The neighbour whose name starts the same is untouched.
        Assert.Equal(3, (await _kit.ListAsync(bucket, "logs/app2/")).Count);

        await using var again = _kit.StartSubscriber(["rm", "--yes", $"s3://{bucket}/logs/app"]);
        Assert.Equal(3, await again.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Contains("no broadcast at", ScenarioKit.AssertOneErrorLine(again, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rm_on_a_terminal_asks_and_deletes_only_after_yes()
    {
        var bucket = await emulator.CreateBucketAsync("archive-rm-tty");
        await _kit.PublishAsync(bucket, "asked", new TestData(1000, seed: 901), "--notify", "none");
        var command = ScenarioKit.ShellCommand(RepoPaths.SubscriberDll, "rm", $"s3://{bucket}/asked");

        var (no, noOutput) = await RunInTerminalAsync(command, "n\n");
        Assert.True(no == 2, $"answer n: exit {no}, expected 2:\n{noOutput}");
        Assert.Contains($"Delete s3://{bucket}/asked (complete, 1 segments", noOutput, StringComparison.Ordinal);
        Assert.Contains("nothing deleted", noOutput, StringComparison.Ordinal);
        Assert.Equal(3, (await _kit.ListAsync(bucket, "asked/")).Count);

        var (yes, yesOutput) = await RunInTerminalAsync(command, "y\n");
        Assert.True(yes == 0, $"answer y: exit {yes}, expected 0:\n{yesOutput}");
        Assert.Contains($"deleted s3://{bucket}/asked: 3 objects", yesOutput, StringComparison.Ordinal);
        Assert.Empty(await _kit.ListAsync(bucket, "asked/"));
    }

    /// <summary>Runs the subscriber with <paramref name="args"/>, insists on exit 0 and returns its stdout.</summary>
    private async Task<(RunningProcess Process, string Stdout)> RunAsync(string[] args)
    {
        var process = _kit.StartSubscriber(args);
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 0, $"{process.CommandLine} exited {code}:\n{process.StderrTail()}");
        ScenarioKit.AssertNoStackTrace(process.Stderr, process.CommandLine);
        return (process, process.StdoutText);
    }

    /// <summary>Runs <paramref name="command"/> with a pseudo-terminal as stdin/stdout/stderr, typing <paramref name="input"/>.</summary>
    private async Task<(int Code, string Output)> RunInTerminalAsync(string command, string input)
    {
        Assert.True(File.Exists(ScenarioKit.ScriptPath), $"{ScenarioKit.ScriptPath} (util-linux 'script') is needed to give a process a terminal");
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(input));
        await using var process = ProcessRunner.Start(ScenarioKit.ScriptPath, ["-qec", command, "/dev/null"],
            new ProcessOptions { Environment = emulator.ChildEnvironment, Stdin = stdin });
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        return (code, ScenarioKit.StripTerminal(process.StdoutText));
    }

    /// <summary>A publisher stopped by SIGTERM mid-stream: it marks the broadcast aborted (exit 143).</summary>
    private async Task PublishAbortedAsync(string bucket, string name, TestData data)
    {
        await using var publisher = _kit.StartPublisher(["--notify", "none", "--flush-interval", "200ms", ScenarioKit.Url(bucket, name)], stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 64 * 1024, TimeSpan.Zero);
        await _kit.WaitForManifestAsync(bucket, name, m => ScenarioKit.NumSegments(m) >= 1, "a stored segment");
        publisher.Kill(ProcessSignal.Term);
        var code = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 143, $"publisher exit {code}, expected 143:\n{publisher.StderrTail()}");
    }

    /// <summary>s3pipe2's layout: 10^6-byte segments (-m 1), a [s3pipe2] manifest without S3Fanout's keys, no metadata.</summary>
    private async Task PutS3pipe2ArchiveAsync(string bucket, string name, TestData data, bool completed)
    {
        const int SegmentBytes = 1_000_000;
        var count = (int)((data.Length + SegmentBytes - 1) / SegmentBytes);
        var stored = completed ? count : count - 1;
        for (var i = 1; i <= stored; i++)
        {
            var offset = (long)(i - 1) * SegmentBytes;
            await _kit.PutBytesAsync(bucket, $"{name}/{i.ToString("D15", CultureInfo.InvariantCulture)}", data.Slice(offset, (int)Math.Min(SegmentBytes, data.Length - offset)));
        }
        await _kit.PutTextAsync(bucket, $"{name}/.manifest", S3pipe2Manifest(completed, stored, Math.Min(data.Length, (long)stored * SegmentBytes)));
    }

    private static string S3pipe2Manifest(bool completed, long numSegments, long totalSize) =>
        "[s3pipe2]\nversion = 0.1\nsegment_size = 1\nupload_began = 2019-03-14T15:09:26.535897\n"
        + $"completed = {(completed ? "true" : "false")}\n"
        + string.Create(CultureInfo.InvariantCulture, $"num_segments = {numSegments}\ntotal_size = {totalSize}\n")
        + (completed ? "upload_ended = 2019-03-14T15:09:31.979323\n" : "")
        + "\n";
}
