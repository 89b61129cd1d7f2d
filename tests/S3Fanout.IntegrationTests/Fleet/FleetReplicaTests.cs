using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
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
        var copies = new[] { 1, 2 };
        var identities = copies.Select(copy => Enumerable.Range(1, 1000).Select(i => $"mirror-host-{i}").First(id => ReplicaChoice.For(id, 2) == copy)).ToList();
        // One proxy per service, so every segment GET is known by the service that sent it, with the status it got.
        var proxies = copies.Select(copy => new FaultProxy(emulator.Endpoint, seed: 70 + copy)).ToList();
        var gets = proxies.Select(proxy => proxy.Rules.Add(new SegmentGetLog())).ToList();
        var services = new List<RunningProcess>();
        try
        {
            for (var n = 0; n < copies.Length; n++)
            {
                var config = _fleet.WriteConfig($"m{n}", $"s3://{bucket}/jobs/", extra: new()
                {
                    ["EndpointUrl"] = proxies[n].Endpoint.ToString(),
                    ["Identity"] = identities[n],
                });
                services.Add(_fleet.StartService(config));
            }
            foreach (var service in services)
            {
                await FleetKit.WaitUntilReadyAsync(service);
            }
            var data = new TestData(3L * MiB, seed: 72);
            await _fleet.Scenarios.PublishAsync(bucket, "jobs/r", data, "-m", "1", "--replicas", "2");

            for (var n = 0; n < services.Count; n++)
            {
                var path = Path.Combine(_fleet.SinkDir($"m{n}"), "r");
                await Poll.UntilAsync(() => File.Exists(path) || services[n].HasExited, TimeSpan.FromSeconds(90), $"service m{n} to mirror the broadcast");
                Assert.True(File.Exists(path), $"service m{n} exited before mirroring: {services[n].Stderr}");
                Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
            }
            // 3 segments, each read once by each service from the replica its identity picks, and no GET of another copy.
            // A GET the emulator failed may be tried again (the SDK and the reader both retry); it names its copy too.
            for (var n = 0; n < copies.Length; n++)
            {
                var seen = gets[n].Seen;
                var read = seen.Where(g => g.EndsWith(": 206", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
                var expected = Enumerable.Range(1, 3).Select(i => $"copy {copies[n]} segment {i}: 206");
                Assert.True(read.SequenceEqual(expected) && seen.All(g => g.StartsWith($"copy {copies[n]} ", StringComparison.Ordinal)),
                    $"service m{n} ({identities[n]}) sent these segment GETs: [{string.Join("; ", seen)}], expected [{string.Join("; ", expected)}]; its log: {services[n].Stderr}");
            }
        }
        finally
        {
            foreach (var service in services)
            {
                await FleetKit.StopAsync(service);
                await service.DisposeAsync();
            }
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    public void Dispose() => _fleet.Dispose();

    /// <summary>Each segment GET a service sent, as "copy C segment I: STATUS" (copy 0: the primary).</summary>
    private sealed partial class SegmentGetLog : AwsRule
    {
        private readonly ConcurrentQueue<string> _seen = new();

        public IReadOnlyList<string> Seen => [.. _seen];

        public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
        {
            if (request.Operation == "GET" && SegmentKey().Match(request.Key) is { Success: true } m)
            {
                _seen.Enqueue($"copy {(m.Groups[1].Success ? m.Groups[1].Value : "0")} segment {long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)}: {answer.Status}");
            }
            return answer;
        }

        [GeneratedRegex(@"/(?:\.replica-(\d+)/)?([0-9]{15})$")]
        private static partial Regex SegmentKey();
    }
}
