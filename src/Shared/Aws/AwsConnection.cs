using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.SQS;

namespace S3Fanout.Shared.Aws;

/// <summary>Resolved credentials, region and the clients built from them; one per process.</summary>
internal sealed class AwsConnection : IDisposable
{
    private AwsConnection(AwsSettings settings, AWSCredentials credentials, RegionEndpoint region)
    {
        Settings = settings;
        Credentials = credentials;
        Region = region;
        // Standard retry mode, not adaptive: adaptive mode's client-side rate limiter is kept per client, and one client
        // serves every reader of a process (the mirror service, in-process fleets), where it fails requests outright with
        // "capacity could not be obtained" once throttled (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
        // A 503 SlowDown is left to StepRetry's SlowDownGovernor, which backs off for the whole process and never
        // counts it against -t.
        var s3 = new AmazonS3Client(credentials, Configure(new AmazonS3Config { ForcePathStyle = settings.EndpointUrl is not null }));
        s3.BeforeRequestEvent += NoJsonContentType;
        S3 = s3;
        Sqs = new AmazonSQSClient(credentials, Configure(new AmazonSQSConfig()));
    }

    public AwsSettings Settings { get; }
    public AWSCredentials Credentials { get; }
    public RegionEndpoint Region { get; }
    public IAmazonS3 S3 { get; }
    public IAmazonSQS Sqs { get; }

    /// <summary>Resolves credentials and region the way the AWS CLI does; fails with one clear line when either is missing.</summary>
    public static AwsConnection Open(AwsSettings settings)
    {
        var region = ResolveRegion(settings);
        AWSCredentials credentials;
        if (settings.AccessKey is not null || settings.SecretKey is not null)
        {
            if (settings.AccessKey is null || settings.SecretKey is null)
            {
                throw new UsageException("-a (access key) and -s (secret key) must be given together");
            }
            credentials = new BasicAWSCredentials(settings.AccessKey, settings.SecretKey);
        }
        else
        {
            try
            {
                credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(new AmazonS3Config { RegionEndpoint = region });
            }
            catch (AmazonClientException e)
            {
                throw new FatalException(ExitCodes.Access,
                    "no AWS credentials found: tried the environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the AWS_PROFILE or default profile in ~/.aws/credentials and ~/.aws/config (including SSO), web identity, and container and instance roles", e);
            }
        }
        return new AwsConnection(settings, credentials, region);
    }

    private static RegionEndpoint ResolveRegion(AwsSettings settings)
    {
        var name = settings.Region
            ?? Environment.GetEnvironmentVariable("AWS_REGION")
            ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        if (name is null)
        {
            try
            {
                name = FallbackRegionFactory.GetRegionEndpoint()?.SystemName;
            }
            catch (AmazonClientException)
            {
                name = null;
            }
        }
        if (name is null && settings.EndpointUrl is not null)
        {
            name = "us-east-1";
        }
        if (name is null)
        {
            throw new UsageException("no AWS region: give -r REGION, set AWS_REGION, or set a region in your AWS profile");
        }
        return RegionEndpoint.GetBySystemName(name);
    }

    private T Configure<T>(T config) where T : ClientConfig
    {
        config.RegionEndpoint = Region;
        if (Settings.EndpointUrl is not null)
        {
            config.ServiceURL = Settings.EndpointUrl.ToString();
            config.AuthenticationRegion = Region.SystemName;
        }
        // Whole steps (put-then-verify, fetch-then-verify) are retried by StepRetry with -t attempts;
        // the SDK adds only a couple of quick transport retries inside each attempt.
        config.RetryMode = RequestRetryMode.Standard;
        config.MaxErrorRetry = 2;
        // Segments carry Content-MD5 and our own CRC64/NVME; the SDK's default CRC32 would be a third pass over every byte.
        config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
        config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        config.MaxConnectionsPerServer = Math.Max(Settings.MaxConnections, 8);
        return config;
    }

    /// <summary>The project's own SNS client (see <see cref="Sns.SnsClient"/>) on the same endpoint, region, credentials and -t.</summary>
    public Sns.SnsClient CreateSns(Microsoft.Extensions.Logging.ILoggerFactory loggers) => new(
        new Sns.SnsClientOptions { ServiceUrl = Settings.EndpointUrl, Region = Region.SystemName, MaxAttempts = Settings.Tries, AttemptTimeout = Settings.RequestTimeout },
        Credentials,
        logger: Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<Sns.SnsClient>(loggers));

    /// <summary>
    /// S3 never takes JSON, but the SDK gives a body-less request that carries its parameters in the query string
    /// (UploadPartCopy) the Content-Type application/x-amz-json-1.0. S3 ignores it; S3-compatible endpoints that pick a
    /// body parser by Content-Type do not (fauxqs 2.4.1 answers 500 trying to parse the empty body as JSON). Any S3
    /// request the SDK marks so is sent as the octet stream it is.
    /// </summary>
    internal static void NoJsonContentType(object sender, RequestEventArgs e)
    {
        if (e is WebServiceRequestEventArgs request
            && request.Headers.TryGetValue("Content-Type", out var type)
            && type.StartsWith("application/x-amz-json", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers["Content-Type"] = "application/octet-stream";
        }
    }

    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public void Dispose()
    {
        S3.Dispose();
        Sqs.Dispose();
    }
}
