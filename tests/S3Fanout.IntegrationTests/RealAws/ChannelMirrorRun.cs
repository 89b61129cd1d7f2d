using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// A service mirroring the channel <c>s3://bucket/jobs/</c> through a proxy while two broadcasts go out, one outside the
/// channel (<c>other/b</c>) and one in it (<c>jobs/a</c>): it must mirror exactly the one in it.
/// </summary>
internal static class ChannelMirrorRun
{
    /// <summary>Runs it and returns the still running service (stop it with <see cref="FleetKit.StopAsync"/>).</summary>
    public static async Task<RunningProcess> MirrorsOnlyItsChannelAsync(
        ReliabilityKit kit, FleetKit fleet, FaultProxy proxy, string bucket, string instance, int seed, TimeSpan bound, Dictionary<string, object>? settings = null)
    {
        var config = fleet.WriteConfig(instance, $"s3://{bucket}/jobs/", extra: settings);
        var data = new TestData(200_000, seed: seed);
        var service = fleet.StartService(config, "--endpoint-url", proxy.Endpoint.ToString());
        await FleetKit.WaitUntilReadyAsync(service);
        Assert.False(service.HasExited, service.StderrTail());
        await kit.Scenario.PublishAsync(bucket, "other/b", new TestData(1000, seed: seed + 1), "--endpoint-url", proxy.Endpoint.ToString());
        await kit.Scenario.PublishAsync(bucket, "jobs/a", data, "--endpoint-url", proxy.Endpoint.ToString());
        var mirrored = Path.Combine(fleet.SinkDir(instance), "a");
        await Poll.UntilAsync(() => File.Exists(mirrored), bound, "the mirrored broadcast");

        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(mirrored));
        Assert.Equal(["a"], Directory.GetFiles(fleet.SinkDir(instance)).Select(Path.GetFileName));
        return service;
    }
}
