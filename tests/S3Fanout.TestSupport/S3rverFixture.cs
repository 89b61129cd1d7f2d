using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.TestSupport.Emulators;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace S3Fanout.TestSupport;

/// <summary>
/// s3rver 3.7.1 (infra/s3rver), an independent S3 server that checks SigV4 signatures and stores objects on disk, as a
/// second S3 backend: started once per collection on a free loopback port with a temporary data folder. It has no SNS
/// or SQS, so only <c>--notify none</c> paths run on it. Never skipped: when it cannot start, <see cref="InitializeAsync"/>
/// throws with what it printed, and every test of the collection fails with that.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    /// <summary>s3rver's built-in account (lib/models/account.js: <c>createKeyPair('S3RVER', 'S3RVER')</c>); no other key is accepted.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly TimeSpan s_startDeadline = TimeSpan.FromSeconds(30);
    private const int PortAttempts = 3;

    private readonly IMessageSink? _diagnostics;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "s3fanout-s3rver-" + Guid.NewGuid().ToString("N")[..8]);
    private RunningProcess? _server;
    private AmazonS3Client? _s3;
    private int _buckets;

    public S3rverFixture(IMessageSink diagnosticMessageSink)
    {
        _diagnostics = diagnosticMessageSink;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public Uri Endpoint { get; private set; } = new("http://127.0.0.1:0");

    /// <summary>S3 client: path-style, ServiceURL = <see cref="Endpoint"/>, s3rver's credentials.</summary>
    public IAmazonS3 S3 => _s3 ?? throw new InvalidOperationException("S3rverFixture is not started.");

    /// <summary>Environment for the real executables: AWS_ENDPOINT_URL and s3rver's credentials, nothing else of the machine's AWS setup.</summary>
    public IReadOnlyDictionary<string, string> ChildEnvironment => EmulatorFixture.BuildChildEnvironment(Endpoint, AccessKey, SecretKey);

    /// <summary>Creates a new bucket with CreateBucket (s3rver also accepts <c>--configure-bucket</c> at start) and returns its name.</summary>
    public async Task<string> CreateBucketAsync(string stem)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{Path.GetFileName(_dataDir)[^8..]}-{Interlocked.Increment(ref _buckets)}");
        await S3.PutBucketAsync(new PutBucketRequest { BucketName = name }).ConfigureAwait(false);
        return name;
    }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        await InstallScript.RunAsync(RepoPaths.S3rverInstallScript, "s3rver", Log).ConfigureAwait(false);
        Directory.CreateDirectory(_dataDir);
        var failures = new List<string>();
        for (var attempt = 1; attempt <= PortAttempts && _server is null; attempt++)
        {
            var (server, failure) = await TryStartAsync(InstallScript.FreeLoopbackPort()).ConfigureAwait(false);
            _server = server;
            if (failure is not null)
            {
                failures.Add(failure);
                if (!failure.Contains("EADDRINUSE", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        if (_server is null)
        {
            throw new InvalidOperationException("S3rverFixture: s3rver could not be started, so every s3rver test fails.\n" + string.Join("\n", failures));
        }
        _s3 = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = EmulatorFixture.DefaultRegion,
        });
        Log($"s3rver ready at {Endpoint} in {clock.ElapsedMilliseconds} ms (data in {_dataDir})");
    }

    private async Task<(RunningProcess? Server, string? Failure)> TryStartAsync(int port)
    {
        var server = ProcessRunner.Start("bash", [RepoPaths.S3rverStartScript, port.ToString(CultureInfo.InvariantCulture), _dataDir], new ProcessOptions
        {
            WorkingDirectory = RepoPaths.Root,
            Environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["S3RVER_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) },
        });
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        string last = "none";
        while (clock.Elapsed < s_startDeadline && !server.HasExited)
        {
            try
            {
                // Any HTTP answer (an anonymous ListBuckets) means it listens.
                using var response = await http.GetAsync(Endpoint).ConfigureAwait(false);
                return (server, null);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        var exited = server.HasExited;
        server.KillTree();
        await Task.Delay(200).ConfigureAwait(false);
        var failure = $"'{server.CommandLine}' {(exited ? "exited" : "did not answer within " + s_startDeadline.TotalSeconds + " s")} " +
            $"(last error: {last}). stdout:\n{server.StdoutText}\nstderr:\n{server.StderrTail()}";
        await server.DisposeAsync().ConfigureAwait(false);
        return (null, failure);
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; nothing depends on it.
        }
    }

    private void Log(string message)
    {
        _diagnostics?.OnMessage(new DiagnosticMessage("[S3rverFixture] " + message));
        Console.Error.WriteLine("[S3rverFixture] " + message);
    }
}
