using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// What the scenario tests share: starting the real executables against the emulator, reading what they left in
/// S3 and SQS, and the assertions every error must pass (one line on stderr, named after the executable, no stack trace).
/// </summary>
internal sealed partial class ScenarioKit(EmulatorFixture emulator)
{
    public const string Publish = "s3fanout-publish";
    public const string Subscribe = "s3fanout-subscribe";

    /// <summary>Generous but bounded: nothing in these scenarios should take more than a few seconds.</summary>
    public static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(90);

    public EmulatorFixture Emulator { get; } = emulator;

    public static string Url(string bucket, string name) => $"s3://{bucket}/{name}";

    /// <summary>Starts the publisher. Give <paramref name="stdin"/> (copied then closed), or <paramref name="stdinPipe"/> to write it yourself.</summary>
    public RunningProcess StartPublisher(
        IEnumerable<string> args,
        Stream? stdin = null,
        bool stdinPipe = false,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStderrLine = null) =>
        ProcessRunner.StartPublisher(args, new ProcessOptions
        {
            Environment = environment ?? Emulator.ChildEnvironment,
            Stdin = stdin,
            StdinPipe = stdinPipe,
            OnStderrLine = onStderrLine,
        });

    /// <summary>Starts a subscriber. Without <paramref name="stdout"/> its output is kept in memory.</summary>
    public RunningProcess StartSubscriber(
        IEnumerable<string> args,
        Stream? stdout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStderrLine = null) =>
        ProcessRunner.StartSubscriber(args, new ProcessOptions
        {
            Environment = environment ?? Emulator.ChildEnvironment,
            Stdout = stdout,
            OnStderrLine = onStderrLine,
        });

    /// <summary><c>s3fanout-subscribe relay</c> through <paramref name="proxy"/>, waiting up to 60 s for its source.</summary>
    public RunningProcess StartRelay(S3Fanout.TestSupport.Faults.FaultProxy proxy, string from, string to, params string[] options) =>
        StartSubscriber(["relay", .. Reliability.ReliabilityKit.Via(proxy), "--wait", "60s", .. options, from, to]);

    /// <summary>Publishes <paramref name="data"/> in one go and insists on exit 0.</summary>
    public async Task PublishAsync(string bucket, string name, TestData data, params string[] options)
    {
        await using var publisher = StartPublisher([.. options, Url(bucket, name)], stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ExitDeadline, 0);
    }

    /// <summary>
    /// Writes <paramref name="source"/> to <paramref name="stdin"/> in chunks of <paramref name="chunkBytes"/>, pausing
    /// <paramref name="pause"/> after each, until the source ends or <paramref name="maxBytes"/> were written. Returns the bytes written.
    /// </summary>
    public static async Task<long> FeedAsync(Stream stdin, Stream source, int chunkBytes, TimeSpan pause, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        var buffer = new byte[chunkBytes];
        long written = 0;
        while (written < maxBytes)
        {
            var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(chunkBytes, maxBytes - written)), ct);
            if (n == 0)
            {
                break;
            }
            await stdin.WriteAsync(buffer.AsMemory(0, n), ct);
            await stdin.FlushAsync(ct);
            written += n;
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, ct);
            }
        }
        return written;
    }

    /// <summary>The manifest as s3pipe2 would see it (strict ConfigParser rules), or null while there is none.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> TryReadManifestAsync(string bucket, string name)
    {
        var text = await TryReadTextAsync(bucket, $"{name}/.manifest");
        return text is null ? null : ConfigParserIni.Parse(text)["s3pipe2"];
    }

    public async Task<IReadOnlyDictionary<string, string>> ReadManifestAsync(string bucket, string name) =>
        await TryReadManifestAsync(bucket, name) ?? throw new Xunit.Sdk.XunitException($"s3://{bucket}/{name}/.manifest does not exist");

    /// <summary>Waits until the manifest satisfies <paramref name="condition"/> and returns it.</summary>
    public Task<IReadOnlyDictionary<string, string>> WaitForManifestAsync(
        string bucket, string name, Func<IReadOnlyDictionary<string, string>, bool> condition, string what, TimeSpan? deadline = null) =>
        Poll.ForValueAsync(async () =>
        {
            var manifest = await TryReadManifestAsync(bucket, name);
            return manifest is not null && condition(manifest) ? manifest : null;
        }, deadline ?? TimeSpan.FromSeconds(60), $"the manifest of s3://{bucket}/{name} to show {what}");

    public async Task<string?> TryReadTextAsync(string bucket, string key)
    {
        try
        {
            using var response = await Emulator.S3.GetObjectAsync(bucket, key);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<byte[]> ReadBytesAsync(string bucket, string key)
    {
        using var response = await Emulator.S3.GetObjectAsync(bucket, key);
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory);
        return memory.ToArray();
    }

    public async Task PutBytesAsync(string bucket, string key, byte[] body)
    {
        using var stream = new MemoryStream(body, writable: false);
        await Emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = stream, AutoCloseStream = false });
    }

    /// <summary>Replaces segment <paramref name="index"/> of a broadcast with other bytes of the same length, the way any S3 client would (no metadata).</summary>
    public async Task OverwriteSegmentAsync(string bucket, string name, int index)
    {
        var key = $"{name}/{index.ToString("D15", System.Globalization.CultureInfo.InvariantCulture)}";
        var original = await ReadBytesAsync(bucket, key);
        var other = new TestData(original.Length, seed: 666 + index).ToArray();
        Assert.NotEqual(original, other);
        await PutBytesAsync(bucket, key, other);
    }

    public Task PutTextAsync(string bucket, string key, string text) =>
        Emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = text });

    /// <summary>Every object under <paramref name="prefix"/>, in key order.</summary>
    public async Task<List<S3Object>> ListAsync(string bucket, string prefix)
    {
        var all = new List<S3Object>();
        string? token = null;
        do
        {
            var page = await Emulator.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token });
            all.AddRange(page.S3Objects ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return [.. all.OrderBy(o => o.Key, StringComparer.Ordinal)];
    }

    /// <summary>Subscriber queues of the bucket's channel (named s3fanout-&lt;bucket&gt;-&lt;hex&gt;).</summary>
    public async Task<List<string>> ListSubscriberQueuesAsync(string bucket)
    {
        var response = await Emulator.Sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = $"s3fanout-{bucket}", MaxResults = 1000 });
        return response.QueueUrls ?? [];
    }

    public Task WaitForSubscriberQueuesAsync(string bucket, int count) =>
        Poll.UntilAsync(async () => (await ListSubscriberQueuesAsync(bucket)).Count >= count, TimeSpan.FromSeconds(60),
            $"{count} subscriber queue(s) s3fanout-{bucket}-*");

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static long Long(IReadOnlyDictionary<string, string> manifest, string key) =>
        long.Parse(manifest[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>
    /// How many segments the manifest says are stored: S3Fanout's stored_segments, else s3pipe2's num_segments (which an
    /// open S3Fanout manifest keeps one segment behind).
    /// </summary>
    public static long NumSegments(IReadOnlyDictionary<string, string> manifest) =>
        manifest.TryGetValue("stored_segments", out var stored) ? long.Parse(stored, CultureInfo.InvariantCulture)
        : manifest.TryGetValue("num_segments", out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;

    /// <summary>
    /// Asserts stderr holds exactly one line that is not a log line, that it starts with "<paramref name="executable"/>: ",
    /// and that no stack trace leaked. Returns that line.
    /// </summary>
    public static string AssertOneErrorLine(RunningProcess process, string executable) =>
        AssertOneErrorLine(process.Stderr, executable, process.CommandLine);

    public static string AssertOneErrorLine(string stderr, string executable, string what)
    {
        AssertNoStackTrace(stderr, what);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => !LogLine().IsMatch(l)).ToList();
        Assert.True(errors.Count == 1, $"{what}: expected exactly one error line on stderr, got {errors.Count}:\n{stderr}");
        Assert.True(errors[0].StartsWith(executable + ": ", StringComparison.Ordinal),
            $"{what}: the error line must start with '{executable}: ', got: {errors[0]}");
        Assert.True(errors[0].Length > executable.Length + 10, $"{what}: the error line says nothing: {errors[0]}");
        return errors[0];
    }

    public static void AssertNoStackTrace(string stderr, string what)
    {
        var frame = StackFrame().Match(stderr);
        Assert.False(frame.Success, $"{what}: stderr contains a stack frame '{frame.Value.Trim()}':\n{stderr}");
    }

    /// <summary>Runs <paramref name="command"/> under <c>script</c>, so stdin, stdout and stderr are a pseudo-terminal.</summary>
    public RunningProcess StartInTerminal(string command)
    {
        Assert.True(File.Exists(ScriptPath), $"{ScriptPath} (util-linux 'script') is needed to give a process a terminal; install util-linux");
        return ProcessRunner.Start(ScriptPath, ["-qec", command, "/dev/null"], new ProcessOptions { Environment = Emulator.ChildEnvironment });
    }

    public const string ScriptPath = "/usr/bin/script";

    /// <summary>Shell command line that runs a built executable with <paramref name="args"/>.</summary>
    public static string ShellCommand(string dll, params string[] args) =>
        string.Join(' ', new[] { ProcessRunner.DotnetHost, "exec", dll }.Concat(args).Select(ShellQuote));

    public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Terminal output without escape sequences and carriage returns.</summary>
    public static string StripTerminal(string text) => AnsiEscape().Replace(text, "").Replace("\r", "", StringComparison.Ordinal);

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} (trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"^\s+at [A-Za-z_][\w.`<>+]*[.(]", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\x1B(\[[0-9;?]*[A-Za-z]|[=>]|[()][0-9A-Za-z])")]
    private static partial Regex AnsiEscape();
}
