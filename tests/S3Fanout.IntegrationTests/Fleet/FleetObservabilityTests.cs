using System.Text;
using System.Text.Json;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>The mirror service's health file and its OpenTelemetry (OTLP/HTTP) metrics export.</summary>
[Collection("emulator-fleet")]
public sealed class FleetObservabilityTests(EmulatorFixture emulator) : IDisposable
{
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenConfigured_TheServiceWritesAHealthFileAndExportsMetricsOverOtlp()
    {
        await using var collector = new OtlpCollector();

        var bucket = await emulator.CreateBucketAsync("fleet-obs");
        var health = Path.Combine(_fleet.Root, "health.json");
        var config = _fleet.WriteConfig("o", $"s3://{bucket}/", extra: new()
        {
            ["HealthFile"] = health,
            ["OtlpEndpoint"] = collector.Endpoint,
        });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        await _fleet.Scenarios.PublishAsync(bucket, "observed", new TestData(2L * 1024 * 1024, seed: 8), "-m", "1");

        var ok = await Poll.ForValueAsync(() =>
        {
            var report = FleetKit.ReadHealth(health);
            return Task.FromResult(report is not null && report["status"].GetString() == "ok" && report["mirrored"].GetInt32() == 1 ? report : null);
        }, TimeSpan.FromSeconds(60), "the health file to report one mirrored broadcast");
        // The project's JSON convention: snake_case names.
        Assert.Equal(["active", "failed", "last_error", "mirrored", "pid", "queued", "status", "updated_at"], ok.Keys.Order(StringComparer.Ordinal));
        Assert.True(DateTimeOffset.UtcNow - ok["updated_at"].GetDateTimeOffset() < TimeSpan.FromSeconds(30));
        Assert.Equal(0, ok["failed"].GetInt32());
        Assert.Equal(JsonValueKind.Null, ok["last_error"].ValueKind);

        await Poll.UntilAsync(() => collector.Posts.Any(p => p.Path == "/v1/metrics" && Encoding.UTF8.GetString(p.Body).Contains("s3fanout.bytes", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "an OTLP export carrying s3fanout.bytes");

        await FleetKit.StopAsync(service);
        Assert.Equal("stopped", FleetKit.ReadHealth(health)?["status"].GetString());
    }

    public void Dispose() => _fleet.Dispose();
}
