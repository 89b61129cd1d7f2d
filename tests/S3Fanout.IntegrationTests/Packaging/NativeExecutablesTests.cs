using System.Text;
using System.Text.Json;
using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Packaging;

/// <summary>
/// The Native AOT executables <c>scripts/native</c> builds do what the JIT builds do: nothing in them may depend on
/// reflection that trimming removes (JSON notifications, manifests and <c>--json</c> output, logging, configuration
/// binding, OpenTelemetry in <c>serve</c>). They run with no .NET on PATH and no DOTNET_ROOT.
/// </summary>
[Collection("native")]
public sealed class NativeExecutablesTests(NativeBuild native, EmulatorFixture emulator) : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90);
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task Both_native_executables_start_without_dotnet_and_print_the_version_of_the_jit_build()
    {
        Assert.Equal([native.Publisher, native.Subscriber], native.ScriptOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Machine code only: no dll, runtimeconfig or debug files beside the two executables.
        Assert.Equal([RepoPaths.PublisherAssemblyName, RepoPaths.SubscriberAssemblyName],
            Directory.GetFiles(native.Output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (executable, dll) in new[] { (native.Publisher, RepoPaths.PublisherDll), (native.Subscriber, RepoPaths.SubscriberDll) })
        {
            Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(executable)[..4]);
            await using var run = ProcessRunner.Start(executable, ["--version"], WithoutDotnet());
            await run.EnsureExitCodeAsync(s_deadline);
            await using var jit = ProcessRunner.StartDotnetDll(dll, ["--version"]);
            await jit.EnsureExitCodeAsync(s_deadline);
            // The copy scripts/native built from is no git checkout, so its version carries no "+commit".
            Assert.Matches(@"^\d+\.\d+\.\d+\n$", run.StdoutText);
            Assert.Equal(jit.StdoutText.Split('+')[0].TrimEnd() + "\n", run.StdoutText);
        }
    }

    [Fact]
    public async Task A_bad_argument_is_one_line_on_stderr_and_exit_2_natively()
    {
        foreach (var (executable, name) in new[] { (native.Publisher, ScenarioKit.Publish), (native.Subscriber, ScenarioKit.Subscribe) })
        {
            await using var run = ProcessRunner.Start(executable, ["--segment-size-that-does-not-exist", "s3://bucket/name"], WithoutDotnet());
            Assert.Equal(Shared.ExitCodes.Usage, await run.WaitForExitAsync(s_deadline));
            ScenarioKit.AssertOneErrorLine(run, name);
        }
    }

    [Fact]
    public async Task A_broadcast_published_natively_reaches_a_waiting_native_subscriber_identical_through_notifications()
    {
        var bucket = await emulator.CreateBucketAsync("native");
        var data = new TestData((3L * 1024 * 1024) + 12345, seed: 13);
        var url = ScenarioKit.Url(bucket, "stream");

        // Started first, so it subscribes a queue and the segments come to it as SNS notifications (JSON, parsed natively).
        await using var subscriber = ProcessRunner.Start(native.Subscriber, ["--json-logs", url], WithEmulator(level: "Debug"));
        await Poll.UntilAsync(() => subscriber.Stderr.Contains("Receiving notifications from", StringComparison.Ordinal) || subscriber.HasExited,
            s_deadline, "the native subscriber to subscribe its queue");
        await using var publisher = ProcessRunner.Start(native.Publisher, ["-m", "1", url], WithEmulator(data.OpenRead()));
        await publisher.EnsureExitCodeAsync(s_deadline);
        await subscriber.EnsureExitCodeAsync(s_deadline);

        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        // Every log line is a JSON object, and the notifications were read, not ignored.
        var messages = subscriber.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString() ?? "").ToList();
        Assert.Contains(messages, m => m.StartsWith("Notification segment", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Stream verified", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.StartsWith("Ignoring a message", StringComparison.Ordinal));

        // The stored-broadcast commands print the same JSON as the JIT build (manifest read, source-generated output).
        foreach (var command in new[] { "ls", "info", "verify" })
        {
            string[] args = [command, "--json", command == "ls" ? $"s3://{bucket}/" : url];
            await using var run = ProcessRunner.Start(native.Subscriber, args, WithEmulator());
            await run.EnsureExitCodeAsync(s_deadline);
            await using var jit = ProcessRunner.StartSubscriber(args, new ProcessOptions { Environment = emulator.ChildEnvironment });
            await jit.EnsureExitCodeAsync(s_deadline);
            Assert.Equal(jit.StdoutText, run.StdoutText);
            Assert.Contains(data.Sha256, run.StdoutText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_native_mirror_service_binds_its_configuration_mirrors_exports_metrics_and_stops_on_sigterm()
    {
        await using var collector = new OtlpCollector();
        var bucket = await emulator.CreateBucketAsync("native-serve");
        var health = Path.Combine(_fleet.Root, "health.json");
        var config = _fleet.WriteConfig("n", $"s3://{bucket}/", extra: new()
        {
            ["HealthFile"] = health,
            ["OtlpEndpoint"] = collector.Endpoint,
            ["PollInterval"] = "00:00:01",
        });
        await using var service = ProcessRunner.Start(native.Subscriber, ["serve", "--config", config], WithEmulator());
        await FleetKit.WaitUntilReadyAsync(service);
        var data = new TestData((2L * 1024 * 1024) + 7, seed: 14);
        await using (var publisher = ProcessRunner.Start(native.Publisher, ["-m", "1", ScenarioKit.Url(bucket, "mirrored")], WithEmulator(data.OpenRead())))
        {
            await publisher.EnsureExitCodeAsync(s_deadline);
        }

        var mirrored = Path.Combine(_fleet.SinkDir("n"), "mirrored");
        await Poll.UntilAsync(() => FleetKit.ReadHealth(health) is { } h && h["mirrored"].GetInt32() == 1, s_deadline, "the health file to report one mirrored broadcast");
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(mirrored));
        Assert.Equal("ok", FleetKit.ReadHealth(health)!["status"].GetString());
        // The mirror's record (StateFile JSON) names the run as done.
        var records = Path.Combine(_fleet.StateDir("n"), "broadcasts");
        await Poll.UntilAsync(() => Directory.Exists(records) && Directory.GetFiles(records, "*.json").Length == 1, s_deadline, "the mirror's record");
        var record = JsonDocument.Parse(await File.ReadAllTextAsync(Directory.GetFiles(records, "*.json").Single())).RootElement;
        Assert.Equal(ScenarioKit.Url(bucket, "mirrored"), record.GetProperty("url").GetString());
        Assert.Equal("done", record.GetProperty("status").GetString(), StringComparer.OrdinalIgnoreCase);
        await Poll.UntilAsync(() => collector.Posts.Any(p => p.Path == "/v1/metrics" && Encoding.UTF8.GetString(p.Body).Contains("s3fanout.bytes", StringComparison.Ordinal)),
            s_deadline, "an OTLP export carrying s3fanout.bytes");

        await FleetKit.StopAsync(service);
        Assert.Equal("stopped", FleetKit.ReadHealth(health)?["status"].GetString());
    }

    /// <summary>No dotnet on PATH and no DOTNET_ROOT: a native executable needs neither.</summary>
    private static ProcessOptions WithoutDotnet() =>
        new() { Environment = new Dictionary<string, string> { ["DOTNET_ROOT"] = "", ["PATH"] = "/usr/bin:/bin" } };

    private ProcessOptions WithEmulator(Stream? stdin = null, string level = "") => new()
    {
        Environment = emulator.ChildEnvironmentWith(("DOTNET_ROOT", ""), ("PATH", "/usr/bin:/bin"), ("S3FANOUT_LOG_LEVEL", level)),
        Stdin = stdin,
    };

    public void Dispose() => _fleet.Dispose();
}
