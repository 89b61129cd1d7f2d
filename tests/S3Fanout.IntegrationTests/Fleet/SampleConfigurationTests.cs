using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>The shipped sample configuration (deploy/subscriber.json) is valid and starts a service.</summary>
[Collection("emulator-fleet")]
public sealed class SampleConfigurationTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task WhenServiceStartsWithTheSampleConfiguration_ItSubscribesAndStopsCleanlyOnSigterm()
    {
        var state = Directory.CreateTempSubdirectory("s3fanout-sample-");
        try
        {
            await using var service = ProcessRunner.StartSubscriber(
                ["serve", "--config", Path.Combine(RepoPaths.Root, "deploy", "subscriber.json"), "--set", $"S3Fanout:StateDirectory={state.FullName}"],
                new ProcessOptions { Environment = emulator.ChildEnvironment });
            await FleetKit.WaitUntilReadyAsync(service);
            Assert.False(service.HasExited, service.StderrTail());
            Assert.Contains("Mirroring 2 channel(s), up to 2 broadcasts at once", service.Stderr, StringComparison.Ordinal);
            Assert.Contains("subscribed to", service.Stderr, StringComparison.Ordinal);
            await FleetKit.StopAsync(service);
            Assert.Contains("Deleted queue", service.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }
}
