using System.Net;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>Proves the emulator fixture and the process helpers work end to end against the real emulator.</summary>
[Collection("emulator")]
public sealed class EmulatorSmokeTests(EmulatorFixture emulator)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task S3_put_then_get_returns_the_same_bytes()
    {
        var bucket = await emulator.CreateBucketAsync("smoke");
        var data = new TestData(3 * 1024 * 1024 + 17, seed: 42);

        await using (var body = data.OpenRead())
        {
            await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a/b.bin", InputStream = body, AutoCloseStream = false });
        }
        using var got = await emulator.S3.GetObjectAsync(bucket, "a/b.bin");

        Assert.Equal(data.Length, got.ContentLength);
        Assert.Equal(data.Sha256, TestData.Sha256Hex(got.ResponseStream));
        await emulator.S3.DeleteObjectAsync(bucket, "a/b.bin");
    }

    [Fact]
    public async Task Sqs_queue_delivers_a_message()
    {
        var queue = await emulator.CreateQueueAsync("smoke");
        Assert.StartsWith($"arn:aws:sqs:{emulator.Region}:", queue.Arn, StringComparison.Ordinal);
        Assert.EndsWith(":" + queue.Name, queue.Arn, StringComparison.Ordinal);

        await emulator.Sqs.SendMessageAsync(queue.Url, "hello");
        var message = await Poll.ForValueAsync(async () =>
        {
            var received = await emulator.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.Url, WaitTimeSeconds = 1 });
            return received.Messages?.FirstOrDefault();
        }, s_deadline, "the message on " + queue.Name);

        Assert.Equal("hello", message.Body);
    }

    [Fact]
    public async Task Sns_topic_delivers_raw_to_a_subscribed_queue()
    {
        using var sns = new SnsClient(new SnsClientOptions { ServiceUrl = emulator.Endpoint, Region = emulator.Region }, emulator.Credentials);
        var topicArn = await sns.CreateTopicAsync(emulator.UniqueName("smoke"), tags: null, CancellationToken.None);
        var queue = await emulator.CreateQueueAsync("smoke-sub");
        await sns.SubscribeAsync(topicArn, "sqs", queue.Arn, new Dictionary<string, string> { ["RawMessageDelivery"] = "true" }, CancellationToken.None);

        await sns.PublishAsync(topicArn, "{\"hello\":1}", new Dictionary<string, string>(), CancellationToken.None);
        var message = await Poll.ForValueAsync(async () =>
        {
            var received = await emulator.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.Url, WaitTimeSeconds = 1 });
            return received.Messages?.FirstOrDefault();
        }, s_deadline, "the published message on " + queue.Name);

        Assert.StartsWith($"arn:aws:sns:{emulator.Region}:", topicArn, StringComparison.Ordinal);
        Assert.Equal("{\"hello\":1}", message.Body);
    }

    [Fact]
    public async Task UniqueName_gives_valid_distinct_bucket_names()
    {
        var names = new[] { "A_Very Long/Stem!" + new string('x', 100), "--", "Ok", "xn--a" }.Select(emulator.UniqueName).ToList();
        names.Add(emulator.UniqueName("Ok"));

        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var name in names)
        {
            Assert.Matches("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", name);
            var response = await emulator.S3.PutBucketAsync(name);
            Assert.Equal(HttpStatusCode.OK, response.HttpStatusCode);
        }
    }

    [Fact]
    public async Task Child_process_gets_the_emulator_environment_and_binary_stdio()
    {
        var data = new TestData(1024 * 1024 + 3, seed: 7);
        var env = emulator.ChildEnvironmentWith(("AWS_PROFILE", string.Empty));
        await using var cat = ProcessRunner.Start(
            "/bin/sh",
            ["-c", "printf '%s\\n' \"$AWS_ENDPOINT_URL\" >&2; test -z \"${AWS_PROFILE+x}\" || exit 3; exec cat"],
            new ProcessOptions { Environment = env, Stdin = data.OpenRead() });

        Assert.Equal(0, await cat.WaitForExitAsync(s_deadline));
        Assert.Equal(data.Length, cat.StdoutLength);
        Assert.Equal(data.Sha256, cat.StdoutSha256);
        Assert.Equal(emulator.Endpoint.GetLeftPart(UriPartial.Authority), cat.Stderr.Trim());
    }

    [Fact]
    public void Built_executables_are_found_next_to_their_runtimeconfig()
    {
        Assert.EndsWith("s3fanout-publish.dll", RepoPaths.PublisherDll, StringComparison.Ordinal);
        Assert.EndsWith("s3fanout-subscribe.dll", RepoPaths.SubscriberDll, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.ChangeExtension(RepoPaths.PublisherDll, ".runtimeconfig.json")));
    }

    [Fact]
    public async Task Hung_child_is_killed_at_the_deadline_and_SIGTERM_reaches_it()
    {
        await using (var hung = ProcessRunner.Start("sleep", ["60"]))
        {
            var error = await Assert.ThrowsAsync<TimeoutException>(() => hung.WaitForExitAsync(TimeSpan.FromMilliseconds(300)));
            Assert.Contains("sleep 60", error.Message, StringComparison.Ordinal);
            Assert.True(hung.HasExited);
        }

        await using var sleeper = ProcessRunner.Start("sleep", ["60"]);
        sleeper.Kill(ProcessSignal.Term);
        Assert.Equal(128 + (int)ProcessSignal.Term, await sleeper.WaitForExitAsync(s_deadline));
    }
}
