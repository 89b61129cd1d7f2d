using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>The mirror service reads the read replica its <c>Identity</c> picks, as one-shot subscribers do with <c>--identity</c>.</summary>
[Collection("emulator-fleet")]
public sealed partial class FleetReplicaTests(EmulatorFixture emulator) : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task TwoServicesWithDifferentIdentities_MirrorFromTheReplicasTheirIdentitiesPick()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-replicas");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71);
        var gets = new ConcurrentDictionary<int, int>(); // segment GETs per copy (0: the primary)
        var identities = new[] { 1, 2 }.Select(copy => Enumerable.Range(1, 1000).Select(i => $"mirror-host-{i}").First(id => ReplicaChoice.For(id, 2) == copy)).ToList();
        var services = new List<RunningProcess>();
        foreach (var (identity, n) in identities.Select((id, n) => (id, n)))
        {
            var config = _fleet.WriteConfig($"m{n}", $"s3://{bucket}/jobs/", extra: new()
            {
                ["EndpointUrl"] = proxy.Endpoint.ToString(),
                ["Identity"] = identity,
            });
            services.Add(_fleet.StartService(config));
        }
        try
        {
            foreach (var service in services)
            {
                await FleetKit.WaitUntilReadyAsync(service);
            }
            proxy.RequestSeen += r =>
            {
                // Which service sent a GET cannot be told at the proxy; which copy it read can, and each identity reads one.
                if (r.Method == "GET" && SegmentKey().Match(r.Key) is { Success: true } m)
                {
                    gets.AddOrUpdate(m.Groups[1].Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0, 1, (_, v) => v + 1);
                }
            };
            var data = new TestData(3L * MiB, seed: 72);
            await _fleet.Scenarios.PublishAsync(bucket, "jobs/r", data, "-m", "1", "--replicas", "2");

            for (var n = 0; n < services.Count; n++)
            {
                var path = Path.Combine(_fleet.SinkDir($"m{n}"), "r");
                await Poll.UntilAsync(() => File.Exists(path) || services[n].HasExited, TimeSpan.FromSeconds(90), $"service m{n} to mirror the broadcast");
                Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
            }
            // 3 segments, each read once by each service: from replica 1 and replica 2, never from the primary.
            Assert.Equal(3, gets.GetValueOrDefault(1));
            Assert.Equal(3, gets.GetValueOrDefault(2));
            Assert.Equal(0, gets.GetValueOrDefault(0));
        }
        finally
        {
            foreach (var service in services)
            {
                await FleetKit.StopAsync(service);
                await service.DisposeAsync();
            }
        }
    }

    public void Dispose() => _fleet.Dispose();

    [GeneratedRegex(@"/(?:\.replica-(\d+)/)?[0-9]{15}$")]
    private static partial Regex SegmentKey();
}
