using System.Text.Json;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>
/// <c>serve --json-logs</c>: every logger of the service writes JSON lines, the SNS client's too (it used to be built
/// outside the host, with the plain one-shot logger).
/// </summary>
[Collection("emulator-fleet")]
public sealed class FleetLoggingTests(EmulatorFixture emulator) : IDisposable
{
    private const string SnsClientCategory = "S3Fanout.Shared.Aws.Sns.SnsClient";
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenJsonLogsAreAskedFor_EveryLineOfTheServiceIsJsonIncludingTheSnsClientsRetry()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-jsonlog");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 9);
        // The first SNS call (the service's Subscribe) fails once with a 500, which the SNS client logs and retries.
        var snsCalls = 0;
        proxy.Plan = new FaultPlan { Error500 = 1.0, Eligible = r => r.Service == AwsService.Sns && Interlocked.Increment(ref snsCalls) == 1 };
        var config = _fleet.WriteConfig("j", $"s3://{bucket}/", extra: new() { ["EndpointUrl"] = proxy.Endpoint.ToString() });

        await using var service = _fleet.StartService(config, "--json-logs");
        await FleetKit.WaitUntilReadyAsync(service);
        await FleetKit.StopAsync(service);

        Assert.Equal(1, proxy.Counts.Injected(FaultKind.Error500));
        var entries = service.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return (Category: doc.RootElement.GetProperty("Category").GetString(), Message: doc.RootElement.GetProperty("Message").GetString() ?? "");
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"not a JSON line ({e.Message}): {line}");
            }
        }).ToList();
        Assert.Contains(entries, e => e.Category == SnsClientCategory && e.Message.Contains("retrying", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Message.StartsWith("Catch-up done", StringComparison.Ordinal));
    }

    public void Dispose() => _fleet.Dispose();
}
