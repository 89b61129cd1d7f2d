using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 5: the publisher's stdin. Closed early is just the end of the stream (a complete broadcast of what came).
/// A read error must abort the broadcast, never complete it. A pipe cannot fail a read, so stdin is made a TCP socket
/// (bash's /dev/tcp) whose peer sends some data and then resets the connection: read() fails with ECONNRESET in the
/// middle of the stream. A directory as stdin fails the very first read (EISDIR).
/// </summary>
[Collection("emulator-reliability")]
public sealed class StdinErrorTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Stdin_closed_early_is_a_normal_end_and_the_broadcast_completes_with_what_came()
    {
        var bucket = await emulator.CreateBucketAsync("stdin-eof");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(300_000, seed: 51);
        await using var publisher = _kit.StartPublisher(["--flush-interval", "200ms", url], stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 64 * 1024, TimeSpan.FromMilliseconds(50));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);

        var manifest = await _kit.ReadManifestAsync(bucket, "stream");
        Assert.Equal("complete", manifest["state"]);
        Assert.Equal(data.Length, ScenarioKit.Long(manifest, "total_size"));
        await using var subscriber = _kit.StartSubscriber([url]);
        Assert.Equal(0, await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        output.WriteLine($"stdin closed after {data.Length} bytes: publisher exit 0, manifest state complete, copy identical");
    }

    [Fact]
    public async Task A_stdin_read_error_mid_stream_aborts_the_broadcast_and_the_subscriber_stops_with_exit_8()
    {
        var bucket = await emulator.CreateBucketAsync("stdin-reset");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(300_000, seed: 52);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await using var subscriber = _kit.StartSubscriber(["--stall-timeout", "60s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        // stdin is a TCP connection to this test; stdout and stderr are the usual pipes.
        var command = $"exec 0<>/dev/tcp/127.0.0.1/{port.ToString(CultureInfo.InvariantCulture)} && exec " +
            ScenarioKit.ShellCommand(RepoPaths.PublisherDll, "--flush-interval", "200ms", url);
        await using var publisher = ProcessRunner.Start("/bin/bash", ["-c", command], new ProcessOptions { Environment = emulator.ChildEnvironment });
        using var socket = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await socket.SendAsync(data.ToArray());
        // The data is in: segment 1 is stored and announced, and the subscriber wrote it.
        await _kit.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) >= 1, "segment 1 stored");
        await Poll.UntilAsync(() => subscriber.StdoutLength >= data.Length || subscriber.HasExited, TimeSpan.FromSeconds(30), "the subscriber to write the bytes sent");

        // RST instead of FIN: the publisher's next read() fails with ECONNRESET.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
        var clock = Stopwatch.StartNew();
        var code = await publisher.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var publisherTook = clock.Elapsed;
        Assert.True(code == 9, $"publisher exit {code}, expected 9:\n{publisher.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
        Assert.Contains("stdin", line, StringComparison.Ordinal);

        var manifest = await _kit.ReadManifestAsync(bucket, "stream");
        Assert.Equal("aborted", manifest["state"]);
        Assert.Equal("false", manifest["completed"]);
        Assert.Contains("stdin", manifest["abort_reason"], StringComparison.Ordinal);
        Assert.Null(await _kit.TryReadTextAsync(bucket, "stream/.checksums"));

        var subscriberCode = await subscriber.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var subscriberTook = clock.Elapsed;
        Assert.True(subscriberCode == 8, $"subscriber exit {subscriberCode}, expected 8:\n{subscriber.StderrTail()}");
        Assert.Contains("aborted", ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stdin reset after {data.Length} bytes: publisher exit {code} after {publisherTook.TotalSeconds:0.0} s, manifest aborted ('{manifest["abort_reason"]}'), subscriber exit {subscriberCode} after {subscriberTook.TotalSeconds:0.0} s\n{line}"));
    }

    [Fact]
    public async Task A_directory_as_stdin_fails_the_first_read_with_exit_9_and_the_broadcast_is_aborted()
    {
        var bucket = await emulator.CreateBucketAsync("stdin-dir");
        var url = ScenarioKit.Url(bucket, "stream");
        var dir = Directory.CreateTempSubdirectory("s3fanout-stdin-");
        try
        {
            var command = "exec " + ScenarioKit.ShellCommand(RepoPaths.PublisherDll, url) + " < " + ScenarioKit.ShellQuote(dir.FullName);
            await using var publisher = ProcessRunner.Start("/bin/bash", ["-c", command], new ProcessOptions { Environment = emulator.ChildEnvironment });
            var code = await publisher.WaitForExitAsync(ScenarioKit.ExitDeadline);
            Assert.True(code == 9, $"publisher exit {code}, expected 9:\n{publisher.StderrTail()}");
            var line = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
            Assert.Contains("stdin", line, StringComparison.Ordinal);
            var manifest = await _kit.ReadManifestAsync(bucket, "stream");
            Assert.Equal("aborted", manifest["state"]);
            output.WriteLine($"directory as stdin: exit {code}, manifest {manifest["state"]}\n{line}");
        }
        finally
        {
            dir.Delete();
        }
    }
}
