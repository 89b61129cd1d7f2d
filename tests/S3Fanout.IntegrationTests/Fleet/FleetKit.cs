using System.Security.Cryptography;
using System.Text.Json;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>Runs <c>s3fanout-subscribe serve</c> instances with a directory sink in a temp folder.</summary>
internal sealed class FleetKit(EmulatorFixture emulator) : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("s3fanout-fleet-");

    public ScenarioKit Scenarios { get; } = new(emulator);

    public string Root => _root.FullName;

    /// <summary>Writes a configuration for one instance and returns its path; the sink is Root/NAME/mirror.</summary>
    public string WriteConfig(string instance, string channelUrl, object? sink = null, Dictionary<string, object>? extra = null)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, instance)).FullName;
        var settings = new Dictionary<string, object>
        {
            ["StateDirectory"] = Path.Combine(dir, "state"),
            ["MaxConcurrentBroadcasts"] = 3,
            ["StallTimeout"] = "00:00:30",
            ["ShutdownTimeout"] = "00:00:20",
            ["Channels"] = new[] { new { Url = channelUrl, Sink = sink ?? new { Type = "directory", Path = SinkDir(instance) } } },
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var path = Path.Combine(dir, "subscriber.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["S3Fanout"] = settings }));
        return path;
    }

    public string SinkDir(string instance) => Path.Combine(Root, instance, "mirror");

    public string StateDir(string instance) => Path.Combine(Root, instance, "state");

    public RunningProcess StartService(string config, params string[] more) =>
        ProcessRunner.StartSubscriber(["serve", "--config", config, .. more], new ProcessOptions { Environment = emulator.ChildEnvironment });

    /// <summary>Waits until the service has subscribed and finished its catch-up.</summary>
    public static Task WaitUntilReadyAsync(RunningProcess service) =>
        Poll.UntilAsync(() => service.Stderr.Contains("Catch-up done", StringComparison.Ordinal) || service.HasExited,
            TimeSpan.FromSeconds(60), "the service to subscribe and catch up");

    /// <summary>The health file's object, or null while it does not exist yet (it is replaced by a rename, never half written).</summary>
    public static Dictionary<string, JsonElement>? ReadHealth(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(path)) : null;

    public static async Task<string> Sha256Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }

    public static async Task StopAsync(RunningProcess service)
    {
        if (!service.HasExited)
        {
            service.Kill(ProcessSignal.Term);
        }
        var code = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"the service should exit 0 on SIGTERM, got {code}: {service.StderrTail()}");
    }

    public void Dispose()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
