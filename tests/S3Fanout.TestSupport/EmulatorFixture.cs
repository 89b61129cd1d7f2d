using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.TestSupport.Emulators;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace S3Fanout.TestSupport;

/// <summary>
/// One real local AWS endpoint (S3, SQS, SNS) for all tests of a test assembly.
/// <para>
/// Use it as an xunit collection fixture. In each test assembly define once:
/// <code>
/// [CollectionDefinition("emulator")]
/// public sealed class EmulatorCollection : ICollectionFixture&lt;EmulatorFixture&gt;;
/// </code>
/// and mark test classes <c>[Collection("emulator")]</c>, taking <c>EmulatorFixture</c> in their constructor.
/// </para>
/// <para>
/// Backend: LocalStack through Testcontainers when a Docker engine answers, else the pinned fauxqs emulator
/// (infra/fauxqs) as a child process on a free loopback port. Set S3FANOUT_TEST_EMULATOR=fauxqs|localstack to force one.
/// Tests are never skipped: when no backend starts, <see cref="InitializeAsync"/> throws an exception saying what
/// was tried and what the emulator printed, and every test of the collection fails with it.
/// </para>
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public const string DefaultRegion = "us-east-1";
    public const string AccessKey = "test";
    public const string SecretKey = "test";

    private static int s_nameCounter;
    private readonly IMessageSink? _diagnostics;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..6];
    private IEmulatorBackend? _backend;
    private AmazonS3Client? _s3;
    private AmazonSQSClient? _sqs;
    private Dictionary<string, string>? _childEnvironment;

    public EmulatorFixture(IMessageSink diagnosticMessageSink)
    {
        _diagnostics = diagnosticMessageSink;
    }

    /// <summary>Base URL of the endpoint, e.g. http://127.0.0.1:PORT (the same for S3, SQS and SNS).</summary>
    public Uri Endpoint => Backend.Endpoint;

    /// <summary>Always "us-east-1".</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Instance API, like the other endpoint facts.")]
    public string Region => DefaultRegion;

    /// <summary>Which backend runs and where (for messages).</summary>
    public string Description => Backend.Description;

    /// <summary>Credentials the emulator accepts (it does not check them): test/test.</summary>
    public AWSCredentials Credentials { get; } = new BasicAWSCredentials(AccessKey, SecretKey);

    /// <summary>S3 client: path-style, ServiceURL = <see cref="Endpoint"/>, test credentials.</summary>
    public IAmazonS3 S3 => _s3 ?? throw NotStarted();

    /// <summary>SQS client: ServiceURL = <see cref="Endpoint"/>, test credentials.</summary>
    public IAmazonSQS Sqs => _sqs ?? throw NotStarted();

    /// <summary>
    /// Environment for starting the real executables against the emulator: AWS_ENDPOINT_URL, test credentials and
    /// region. An empty value means "remove this variable" (AWS_PROFILE, AWS_CA_BUNDLE, service-specific endpoint
    /// overrides, …); <see cref="ProcessRunner"/> applies it that way, see <see cref="ProcessRunner.ApplyEnvironment"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> ChildEnvironment => _childEnvironment ?? throw NotStarted();

    private IEmulatorBackend Backend => _backend ?? throw NotStarted();

    /// <summary><see cref="ChildEnvironment"/> plus/overridden by <paramref name="extra"/>.</summary>
    public IReadOnlyDictionary<string, string> ChildEnvironmentWith(params (string Name, string Value)[] extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        var env = new Dictionary<string, string>(ChildEnvironment, StringComparer.Ordinal);
        foreach (var (name, value) in extra)
        {
            env[name] = value;
        }
        return env;
    }

    /// <summary>A new S3 client config pointing at the emulator (path-style).</summary>
    public AmazonS3Config CreateS3Config() => new()
    {
        ServiceURL = Endpoint.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = Region,
    };

    /// <summary>A new SQS client config pointing at the emulator.</summary>
    public AmazonSQSConfig CreateSqsConfig() => new()
    {
        ServiceURL = Endpoint.ToString(),
        AuthenticationRegion = Region,
    };

    /// <summary>
    /// A name valid as S3 bucket, SQS queue and SNS topic name: lowercase [a-z0-9-], 3–63 characters,
    /// starting with <paramref name="stem"/> (sanitised, shortened), unique per call and per fixture.
    /// </summary>
    public string UniqueName(string stem)
    {
        ArgumentNullException.ThrowIfNull(stem);
        var suffix = string.Create(CultureInfo.InvariantCulture, $"-{_runId}-{Interlocked.Increment(ref s_nameCounter)}");
        var clean = new StringBuilder(stem.Length);
        foreach (var c in stem.ToLowerInvariant())
        {
            var ok = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
            if (ok || (clean.Length > 0 && clean[^1] != '-'))
            {
                clean.Append(ok ? c : '-');
            }
        }
        var head = clean.ToString().Trim('-');
        if (head.Length == 0 || head.StartsWith("xn--", StringComparison.Ordinal) || head.StartsWith("sthree-", StringComparison.Ordinal))
        {
            head = "t" + head;
        }
        var max = 63 - suffix.Length;
        if (head.Length > max)
        {
            head = head[..max].TrimEnd('-');
        }
        return head + suffix;
    }

    /// <summary>Creates a bucket named <see cref="UniqueName"/>(<paramref name="stem"/>) and returns its name.</summary>
    public async Task<string> CreateBucketAsync(string stem, CancellationToken cancellationToken = default)
    {
        var name = UniqueName(stem);
        await S3.PutBucketAsync(new PutBucketRequest { BucketName = name }, cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>Creates a standard SQS queue named <see cref="UniqueName"/>(<paramref name="stem"/>).</summary>
    public async Task<EmulatorQueue> CreateQueueAsync(string stem, CancellationToken cancellationToken = default)
    {
        var name = UniqueName(stem);
        var created = await Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name }, cancellationToken).ConfigureAwait(false);
        var attributes = await Sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = created.QueueUrl, AttributeNames = ["QueueArn"] },
            cancellationToken).ConfigureAwait(false);
        return new EmulatorQueue(name, created.QueueUrl, attributes.QueueARN);
    }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        var forced = Environment.GetEnvironmentVariable("S3FANOUT_TEST_EMULATOR")?.Trim().ToLowerInvariant();
        var tried = new List<string>();

        if (forced is not "fauxqs")
        {
            var (docker, detail) = forced == "localstack" ? (true, "forced by S3FANOUT_TEST_EMULATOR=localstack") : await DockerProbe.ProbeAsync().ConfigureAwait(false);
            if (docker)
            {
                try
                {
                    _backend = await LocalStackBackend.StartAsync(Log).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    tried.Add($"LocalStack via Testcontainers (Docker: {detail}) failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
            else
            {
                tried.Add($"LocalStack not tried: no Docker engine answered ({detail}).");
            }
        }

        if (_backend is null && forced is not "localstack")
        {
            try
            {
                _backend = await FauxqsBackend.StartAsync(Log).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                tried.Add($"fauxqs failed: {ex.Message}");
            }
        }

        if (_backend is null)
        {
            throw new InvalidOperationException(
                "EmulatorFixture: no local AWS endpoint could be started, so every integration test fails. Tried:\n- " +
                string.Join("\n- ", tried) +
                "\nFix: install Node.js/npm (for infra/fauxqs/install.sh) or start a Docker engine; run scripts/test for the whole setup.");
        }

        _s3 = new AmazonS3Client(Credentials, CreateS3Config());
        _sqs = new AmazonSQSClient(Credentials, CreateSqsConfig());
        _childEnvironment = BuildChildEnvironment(Endpoint, AccessKey, SecretKey);
        Log($"EmulatorFixture ready in {clock.ElapsedMilliseconds} ms: {_backend.Description}");
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        _sqs?.Dispose();
        if (_backend is not null)
        {
            await _backend.DisposeAsync().ConfigureAwait(false);
            _backend = null;
        }
    }

    /// <summary>The environment for an executable on <paramref name="endpoint"/> with these credentials and nothing else of the machine's AWS setup.</summary>
    internal static Dictionary<string, string> BuildChildEnvironment(Uri endpoint, string accessKey, string secretKey)
    {
        var url = endpoint.GetLeftPart(UriPartial.Authority);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ENDPOINT_URL"] = url,
            ["AWS_ACCESS_KEY_ID"] = accessKey,
            ["AWS_SECRET_ACCESS_KEY"] = secretKey,
            ["AWS_REGION"] = DefaultRegion,
            ["AWS_DEFAULT_REGION"] = DefaultRegion,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            // Empty = remove from the child's environment.
            ["AWS_SESSION_TOKEN"] = string.Empty,
            ["AWS_PROFILE"] = string.Empty,
            ["AWS_DEFAULT_PROFILE"] = string.Empty,
            ["AWS_CA_BUNDLE"] = string.Empty,
            ["AWS_ENDPOINT_URL_S3"] = string.Empty,
            ["AWS_ENDPOINT_URL_SQS"] = string.Empty,
            ["AWS_ENDPOINT_URL_SNS"] = string.Empty,
            ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = string.Empty,
        };
    }

    private void Log(string message)
    {
        _diagnostics?.OnMessage(new DiagnosticMessage("[EmulatorFixture] " + message));
        Console.Error.WriteLine("[EmulatorFixture] " + message);
    }

    private static InvalidOperationException NotStarted() =>
        new("EmulatorFixture is not started (InitializeAsync has not run or failed).");
}

/// <summary>An SQS queue created by <see cref="EmulatorFixture.CreateQueueAsync"/>.</summary>
public sealed record EmulatorQueue(string Name, string Url, string Arn);
