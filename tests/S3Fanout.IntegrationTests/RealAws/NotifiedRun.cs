using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// A subscriber that polls the manifest only every 30 s, so it finishes within a test's bound only by following
/// notifications, and publishers that send a heartbeat every second; all through a proxy.
/// </summary>
internal static class NotifiedRun
{
    /// <summary>Starts the subscriber (with -v, whose log says when it subscribed) and waits until it has subscribed.</summary>
    public static async Task<RunningProcess> StartSubscribedAsync(ReliabilityKit kit, FaultProxy proxy, string url, TimeSpan bound, params string[] more)
    {
        var subscriber = kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, ["-v", "--wait", "60s", "--poll-interval", "30s", .. more, url]));
        await Poll.UntilAsync(() => subscriber.Stderr.Contains(" subscribed to ", StringComparison.Ordinal) || subscriber.HasExited, bound, "the subscription");
        return subscriber;
    }

    public static RunningProcess StartPublisher(ReliabilityKit kit, FaultProxy proxy, string url, TestData data) =>
        kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "--heartbeat-interval", "1s", url), stdin: data.OpenRead());
}
