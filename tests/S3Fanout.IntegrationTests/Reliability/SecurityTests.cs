using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.S3.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Security: the subscriber queue accepts only the channel's topic (read back from the queue; the emulator stores
/// policies but does not enforce them), keys on the command line warn and never leak, not even at Trace level or in
/// a failed run's exception text, and --sse AES256 is requested on every object the publisher writes.
/// </summary>
[Collection("emulator-reliability")]
public sealed class SecurityTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    // Shaped like a real secret access key (40 characters), so nothing can tell it from one.
    private const string AccessKey = "AKIAS3FANOUTTESTKEY1";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYS3FANOUTKEY";
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task The_subscriber_queue_policy_lets_only_the_channel_topic_send_to_it()
    {
        var bucket = await emulator.CreateBucketAsync("policy");
        var url = ScenarioKit.Url(bucket, "stream");
        await using var subscriber = _kit.StartSubscriber([url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        var queueUrl = Assert.Single(await _kit.ListSubscriberQueuesAsync(bucket));
        // The policy is set right after the queue is created; give the subscriber a moment to get there.
        var attributes = await Poll.ForValueAsync(async () =>
        {
            var a = await emulator.Sqs.GetQueueAttributesAsync(queueUrl, ["Policy", "QueueArn"]);
            return a.Attributes.ContainsKey("Policy") ? a : null;
        }, TimeSpan.FromSeconds(30), "the queue policy");
        var queueArn = attributes.QueueARN;
        var topicArn = $"arn:aws:sns:{emulator.Region}:000000000000:s3fanout-{bucket}";

        using var policy = JsonDocument.Parse(attributes.Policy);
        output.WriteLine(attributes.Policy);
        var statement = Assert.Single(policy.RootElement.GetProperty("Statement").EnumerateArray());
        Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
        // Only SNS, never "*" or an account.
        var principal = statement.GetProperty("Principal");
        Assert.Equal(JsonValueKind.Object, principal.ValueKind);
        Assert.Equal("sns.amazonaws.com", Assert.Single(principal.EnumerateObject(), p => p.Name == "Service").Value.GetString());
        Assert.Single(principal.EnumerateObject());
        Assert.Equal("sqs:SendMessage", statement.GetProperty("Action").GetString());
        Assert.Equal(queueArn, statement.GetProperty("Resource").GetString());
        // ... and only on behalf of this channel's topic.
        var condition = Assert.Single(statement.GetProperty("Condition").EnumerateObject());
        Assert.Equal("ArnEquals", condition.Name);
        var source = Assert.Single(condition.Value.EnumerateObject());
        Assert.Equal("aws:SourceArn", source.Name);
        Assert.Equal(topicArn, source.Value.GetString());

        await using var publisher = _kit.StartPublisher([url], stdin: new TestData(1000, seed: 1).OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);
        Assert.Equal(0, await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline));
    }

    [Fact]
    public async Task Keys_given_with_a_and_s_warn_and_the_secret_never_appears_even_at_Trace_level()
    {
        var bucket = await emulator.CreateBucketAsync("keys");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(300_000, seed: 2);
        var environment = emulator.ChildEnvironmentWith(("S3FANOUT_LOG_LEVEL", "Trace"), ("S3FANOUT_DEBUG", "1"));
        string[] keys = ["-a", AccessKey, "-s", Secret, "-v"];

        await using var subscriber = _kit.StartSubscriber([.. keys, url], environment: environment);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        await using var publisher = _kit.StartPublisher([.. keys, url], stdin: data.OpenRead(), environment: environment);
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);
        Assert.Equal(0, await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);

        foreach (var (process, name) in new[] { (publisher, "publisher"), (subscriber, "subscriber") })
        {
            var stderr = process.Stderr;
            var lines = stderr.Split('\n').Length;
            output.WriteLine($"{name}: {lines} stderr lines at Trace level, secret found: {stderr.Contains(Secret, StringComparison.Ordinal)}");
            Assert.Contains("visible to other users", stderr, StringComparison.Ordinal);
            AssertNoSecret(stderr, name);
            // The lowest level really was on (the SDK's own logging is not routed to stderr at all).
            Assert.True(stderr.Contains(" dbug: ", StringComparison.Ordinal), $"{name}: no debug lines, so S3FANOUT_LOG_LEVEL=Trace was not in effect:\n{stderr}");
        }
    }

    [Fact]
    public async Task A_failed_run_with_keys_on_the_command_line_never_prints_the_secret()
    {
        var bucket = await emulator.CreateBucketAsync("keys-fail");
        var environment = emulator.ChildEnvironmentWith(("S3FANOUT_LOG_LEVEL", "Trace"), ("S3FANOUT_DEBUG", "1"));
        string[] keys = ["-a", AccessKey, "-s", Secret, "-v"];
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 3) { Plan = new FaultPlan { Error500 = 1.0 } };
        var closedPort = ScenarioKit.ClosedLoopbackPort();

        var runs = new (string What, RunningProcess Process)[]
        {
            ("publisher, endpoint unreachable", _kit.StartPublisher([.. keys, "-t", "1", "--endpoint-url", $"http://127.0.0.1:{closedPort}", ScenarioKit.Url(bucket, "a")], stdin: new MemoryStream([1]), environment: environment)),
            ("publisher, bucket missing", _kit.StartPublisher([.. keys, ScenarioKit.Url("no-such-bucket-" + bucket, "a")], stdin: new MemoryStream([1]), environment: environment)),
            ("publisher, every request 500", _kit.StartPublisher([.. keys, "-t", "2", "--endpoint-url", proxy.Endpoint.ToString(), ScenarioKit.Url(bucket, "b")], stdin: new MemoryStream([1]), environment: environment)),
            ("subscriber, endpoint unreachable", _kit.StartSubscriber([.. keys, "-t", "1", "--endpoint-url", $"http://127.0.0.1:{closedPort}", ScenarioKit.Url(bucket, "a")], environment: environment)),
            ("subscriber, every request 500", _kit.StartSubscriber([.. keys, "-t", "2", "--endpoint-url", proxy.Endpoint.ToString(), ScenarioKit.Url(bucket, "b")], environment: environment)),
        };
        try
        {
            foreach (var (what, process) in runs)
            {
                var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
                output.WriteLine($"{what}: exit {code}, {process.Stderr.Split('\n').Length} stderr lines (S3FANOUT_DEBUG=1 prints the exception), secret found: {process.Stderr.Contains(Secret, StringComparison.Ordinal)}");
                Assert.NotEqual(0, code);
                AssertNoSecret(process.Stderr, what);
            }
        }
        finally
        {
            foreach (var (_, process) in runs)
            {
                await process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Sse_AES256_is_requested_on_every_object_the_publisher_writes()
    {
        var bucket = await emulator.CreateBucketAsync("sse");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData((2L * 1024 * 1024) + 3, seed: 4);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 4);
        var puts = new ConcurrentDictionary<string, string>();
        proxy.RequestSeen += r =>
        {
            if (r.Service == AwsService.S3 && r.Method == "PUT")
            {
                puts[r.Key] = r.Header("x-amz-server-side-encryption") ?? "(none)";
            }
        };
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "--sse", "AES256", "-m", "1", url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);

        foreach (var (key, sse) in puts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"PUT {key}: x-amz-server-side-encryption: {sse}");
        }
        Assert.Contains("stream/000000000000001", puts.Keys);
        Assert.Contains("stream/.manifest", puts.Keys);
        Assert.Contains("stream/.checksums", puts.Keys);
        Assert.All(puts, p => Assert.Equal("AES256", p.Value));

        // What the emulator reports back (fauxqs may ignore SSE; then only the request side above is checked).
        var meta = await emulator.S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "stream/000000000000001" });
        var reported = meta.ServerSideEncryptionMethod?.Value;
        output.WriteLine($"the emulator reports x-amz-server-side-encryption: {reported ?? "(nothing)"} for segment 1");
        if (!string.IsNullOrEmpty(reported))
        {
            Assert.Equal("AES256", reported);
        }

        await using var subscriber = _kit.StartSubscriber([url]);
        Assert.Equal(0, await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    private static void AssertNoSecret(string stderr, string what)
    {
        Assert.False(stderr.Contains(Secret, StringComparison.Ordinal), $"{what}: the secret key appears on stderr:\n{stderr}");
        // Nor a recognisable part of it (e.g. cut by a length limit, or URL-encoded).
        Assert.False(stderr.Contains(Secret[..16], StringComparison.Ordinal), $"{what}: the start of the secret key appears on stderr");
        Assert.False(stderr.Contains(Uri.EscapeDataString(Secret), StringComparison.Ordinal), $"{what}: the URL-encoded secret appears on stderr");
    }
}
