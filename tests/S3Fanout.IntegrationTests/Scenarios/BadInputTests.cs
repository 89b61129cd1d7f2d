using System.Diagnostics;
using System.Globalization;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// Wrong command lines, wrong places, missing credentials, unreachable endpoints: each ends with its documented
/// exit code and one clear line on stderr that starts with the executable's name, never a stack trace.
/// </summary>
[Collection("emulator")]
public sealed class BadInputTests(EmulatorFixture emulator)
{
    private const string Secret = "wJalrXUtnFEMI-K7MDENG-SuperSecret-4711";
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(30);
    private readonly ScenarioKit _kit = new(emulator);

    public static TheoryData<string, string> MalformedUrls() => new()
    {
        { ScenarioKit.Publish, "http://x" },
        { ScenarioKit.Publish, "s3://" },
        { ScenarioKit.Publish, "s3://b1/x" },
        { ScenarioKit.Subscribe, "http://x" },
        { ScenarioKit.Subscribe, "s3://" },
        { ScenarioKit.Subscribe, "s3://b1/x" },
    };

    [Theory]
    [MemberData(nameof(MalformedUrls))]
    public async Task Malformed_url_is_a_usage_error(string executable, string url)
    {
        var (process, code) = await RunAsync(executable, [url]);
        await using (process)
        {
            Assert.Equal(2, code);
            var line = ScenarioKit.AssertOneErrorLine(process, executable);
            Assert.Contains(url == "s3://b1/x" ? "'b1'" : $"'{url}'", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Missing_bucket_is_not_found()
    {
        var bucket = emulator.UniqueName("never-created");
        var (publisher, publishCode) = await RunAsync(ScenarioKit.Publish, [ScenarioKit.Url(bucket, "x")]);
        await using (publisher)
        {
            Assert.Equal(3, publishCode);
            Assert.Contains("bucket does not exist", ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish), StringComparison.Ordinal);
        }
        var (subscriber, subscribeCode) = await RunAsync(ScenarioKit.Subscribe, ["--wait", "2s", ScenarioKit.Url(bucket, "x")]);
        await using (subscriber)
        {
            Assert.Equal(3, subscribeCode);
            Assert.Contains("bucket does not exist", ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe), StringComparison.Ordinal);
            Assert.Equal(0, subscriber.StdoutLength);
        }
    }

    [Fact]
    public async Task Used_prefix_is_refused_without_force_and_replaced_with_force()
    {
        var bucket = await emulator.CreateBucketAsync("prefix-used");
        var url = ScenarioKit.Url(bucket, "name");
        var first = new TestData(100_000, seed: 1);
        var second = new TestData(150_000, seed: 2);
        await _kit.PublishAsync(bucket, "name", first);

        await using (var refused = _kit.StartPublisher([url], stdin: second.OpenRead()))
        {
            Assert.Equal(3, await refused.WaitForExitAsync(s_quick));
            var line = ScenarioKit.AssertOneErrorLine(refused, ScenarioKit.Publish);
            Assert.Contains("already holds a broadcast", line, StringComparison.Ordinal);
            Assert.Contains("--force", line, StringComparison.Ordinal);
        }
        // The refused publisher changed nothing.
        Assert.Equal("true", (await _kit.ReadManifestAsync(bucket, "name"))["completed"]);

        await _kit.PublishAsync(bucket, "name", second, "--force");
        var manifest = await _kit.ReadManifestAsync(bucket, "name");
        Assert.Equal(second.Length.ToString(CultureInfo.InvariantCulture), manifest["total_size"]);
        await using var subscriber = _kit.StartSubscriber([url]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(second.Sha256, subscriber.StdoutSha256);
    }

    public static TheoryData<string, string, string, string> OutOfRange() => new()
    {
        { ScenarioKit.Publish, "-m", "0", "-m" },
        { ScenarioKit.Publish, "-m", "5121", "-m" },
        { ScenarioKit.Publish, "-n", "0", "-n" },
        { ScenarioKit.Subscribe, "-n", "0", "-n" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task Option_out_of_range_is_a_usage_error(string executable, string option, string value, string named)
    {
        var (process, code) = await RunAsync(executable, [option, value, "s3://some-bucket/x"]);
        await using (process)
        {
            Assert.Equal(2, code);
            var line = ScenarioKit.AssertOneErrorLine(process, executable);
            Assert.Contains(named, line, StringComparison.Ordinal);
            Assert.Contains(value, line, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, bool> UnknownOptionPlaces() => new()
    {
        { ScenarioKit.Publish, false },
        { ScenarioKit.Publish, true },
        { ScenarioKit.Subscribe, false },
        { ScenarioKit.Subscribe, true },
    };

    [Theory]
    [MemberData(nameof(UnknownOptionPlaces))]
    public async Task Unknown_option_is_a_usage_error_that_names_the_option(string executable, bool beforeUrl)
    {
        const string Unknown = "--no-such-option";
        string[] args = beforeUrl ? [Unknown, "s3://some-bucket/x"] : ["s3://some-bucket/x", Unknown];
        var (process, code) = await RunAsync(executable, args);
        await using (process)
        {
            Assert.Equal(2, code);
            var line = ScenarioKit.AssertOneErrorLine(process, executable);
            Assert.True(line.Contains(Unknown, StringComparison.Ordinal), $"the error for `{string.Join(' ', args)}` does not name {Unknown}: {line}");
        }
    }

    [Fact]
    public async Task Publisher_refuses_a_terminal_on_stdin()
    {
        var bucket = await emulator.CreateBucketAsync("tty-in");
        await using var shell = _kit.StartInTerminal(ScenarioKit.ShellCommand(RepoPaths.PublisherDll, ScenarioKit.Url(bucket, "x")) + " >/dev/null");
        var code = await shell.WaitForExitAsync(s_quick);
        var text = ScenarioKit.StripTerminal(shell.StdoutText + shell.Stderr);
        Assert.True(code == 2, $"exit {code}, expected 2; terminal output:\n{text}");
        Assert.Contains("stdin is a terminal", ScenarioKit.AssertOneErrorLine(text, ScenarioKit.Publish, shell.CommandLine), StringComparison.Ordinal);
        Assert.Empty(await _kit.ListAsync(bucket, ""));
    }

    [Fact]
    public async Task Subscriber_refuses_a_terminal_on_stdout_unless_given_an_output_file()
    {
        var bucket = await emulator.CreateBucketAsync("tty-out");
        var url = ScenarioKit.Url(bucket, "x");
        var data = new TestData(10_000, seed: 3);
        await _kit.PublishAsync(bucket, "x", data);

        await using (var shell = _kit.StartInTerminal(ScenarioKit.ShellCommand(RepoPaths.SubscriberDll, "--wait", "2s", url) + " </dev/null"))
        {
            var code = await shell.WaitForExitAsync(s_quick);
            var text = ScenarioKit.StripTerminal(shell.StdoutText + shell.Stderr);
            Assert.True(code == 2, $"exit {code}, expected 2; terminal output:\n{text}");
            Assert.Contains("stdout is a terminal", ScenarioKit.AssertOneErrorLine(text, ScenarioKit.Subscribe, shell.CommandLine), StringComparison.Ordinal);
        }

        var dir = Directory.CreateTempSubdirectory("s3fanout-tty-");
        try
        {
            var file = Path.Combine(dir.FullName, "out.bin");
            await using var withFile = _kit.StartInTerminal(ScenarioKit.ShellCommand(RepoPaths.SubscriberDll, "-o", file, url) + " </dev/null");
            var code = await withFile.WaitForExitAsync(s_quick);
            Assert.True(code == 0, $"with -o FILE on a terminal: exit {code}; output:\n{ScenarioKit.StripTerminal(withFile.StdoutText)}");
            Assert.Equal(data.Sha256, await TestData.Sha256HexOfFileAsync(file));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(ScenarioKit.Publish)]
    [InlineData(ScenarioKit.Subscribe)]
    public async Task No_credentials_is_an_access_error_naming_the_sources_tried(string executable)
    {
        var home = Directory.CreateTempSubdirectory("s3fanout-nocreds-");
        try
        {
            var env = emulator.ChildEnvironmentWith(
                ("AWS_ACCESS_KEY_ID", ""),
                ("AWS_SECRET_ACCESS_KEY", ""),
                ("AWS_SESSION_TOKEN", ""),
                ("AWS_CONFIG_FILE", Path.Combine(home.FullName, "no-such-config")),
                ("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(home.FullName, "no-such-credentials")),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", ""),
                ("AWS_ROLE_ARN", ""),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""),
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""),
                ("HOME", home.FullName));
            string[] args = executable == ScenarioKit.Publish ? ["s3://some-bucket/x"] : ["--wait", "2s", "s3://some-bucket/x"];
            var (process, code) = await RunAsync(executable, args, env);
            await using (process)
            {
                Assert.Equal(4, code);
                var line = ScenarioKit.AssertOneErrorLine(process, executable);
                Assert.Contains("no AWS credentials", line, StringComparison.Ordinal);
                Assert.Contains("environment variables", line, StringComparison.Ordinal);
                Assert.Contains("profile", line, StringComparison.Ordinal);
                Assert.Contains("instance", line, StringComparison.Ordinal);
            }
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(ScenarioKit.Publish)]
    [InlineData(ScenarioKit.Subscribe)]
    public async Task Unreachable_endpoint_fails_fast_with_exit_5(string executable)
    {
        var endpoint = $"http://127.0.0.1:{ScenarioKit.ClosedLoopbackPort()}";
        var clock = Stopwatch.StartNew();
        var (process, code) = await RunAsync(executable, ["--endpoint-url", endpoint, "s3://some-bucket/x"]);
        await using (process)
        {
            Assert.Equal(5, code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:0.0} s to give up on a closed port");
            var line = ScenarioKit.AssertOneErrorLine(process, executable);
            Assert.Contains("cannot reach the endpoint", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Subscriber_gives_up_after_wait_on_a_broadcast_that_never_starts()
    {
        var bucket = await emulator.CreateBucketAsync("never-starts");
        var clock = Stopwatch.StartNew();
        var (process, code) = await RunAsync(ScenarioKit.Subscribe, ["--wait", "2s", ScenarioKit.Url(bucket, "nothing")]);
        await using (process)
        {
            Assert.Equal(3, code);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));
            var line = ScenarioKit.AssertOneErrorLine(process, ScenarioKit.Subscribe);
            Assert.Contains("--wait", line, StringComparison.Ordinal);
            Assert.Equal(0, process.StdoutLength);
        }
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task Keys_on_the_command_line_warn_and_the_secret_never_reaches_stderr()
    {
        var bucket = await emulator.CreateBucketAsync("keys");
        var url = ScenarioKit.Url(bucket, "x");
        var data = new TestData(200_000, seed: 4);
        var env = emulator.ChildEnvironmentWith(("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", ""), ("S3FANOUT_LOG_LEVEL", "Trace"));
        string[] keys = ["-v", "-a", EmulatorFixture.AccessKey, "-s", Secret];

        await using (var publisher = _kit.StartPublisher([.. keys, url], stdin: data.OpenRead(), environment: env))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            AssertWarnsWithoutSecret(publisher);
        }
        await using (var subscriber = _kit.StartSubscriber([.. keys, url], environment: env))
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            AssertWarnsWithoutSecret(subscriber);
        }

        // Failing paths print AWS error texts; the secret must not be among them either.
        var closed = $"http://127.0.0.1:{ScenarioKit.ClosedLoopbackPort()}";
        await using (var failing = _kit.StartPublisher([.. keys, "-t", "1", "--endpoint-url", closed, url], stdin: data.OpenRead(), environment: env))
        {
            Assert.Equal(5, await failing.WaitForExitAsync(s_quick));
            AssertWarnsWithoutSecret(failing);
        }
        await using (var failing = _kit.StartSubscriber([.. keys, "--wait", "1s", ScenarioKit.Url(bucket, "missing")], environment: env))
        {
            Assert.Equal(3, await failing.WaitForExitAsync(s_quick));
            AssertWarnsWithoutSecret(failing);
        }
    }

    private static void AssertWarnsWithoutSecret(RunningProcess process)
    {
        Assert.Contains("Keys given with -a/-s are visible to other users", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret[..16], process.Stderr, StringComparison.Ordinal);
        ScenarioKit.AssertNoStackTrace(process.Stderr, process.CommandLine);
    }

    /// <summary>Runs an executable to its end (the publisher with an empty stdin) and returns it with its exit code.</summary>
    private async Task<(RunningProcess Process, int Code)> RunAsync(string executable, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = executable == ScenarioKit.Publish
            ? _kit.StartPublisher(args, stdin: Stream.Null, environment: environment)
            : _kit.StartSubscriber(args, environment: environment);
        try
        {
            return (process, await process.WaitForExitAsync(s_quick));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }
}
