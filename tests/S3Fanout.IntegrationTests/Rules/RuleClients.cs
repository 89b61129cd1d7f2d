using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>SDK clients (and the project's SNS client) that send through a proxy, without retries, so each refusal is seen as sent.</summary>
internal static class RuleClients
{
    public static AmazonS3Client S3(EmulatorFixture emulator, FaultProxy proxy) => new(emulator.Credentials, new AmazonS3Config
    {
        ServiceURL = proxy.Endpoint.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = emulator.Region,
        MaxErrorRetry = 0,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public static AmazonSQSClient Sqs(EmulatorFixture emulator, FaultProxy proxy) => new(emulator.Credentials, new AmazonSQSConfig
    {
        ServiceURL = proxy.Endpoint.ToString(),
        AuthenticationRegion = emulator.Region,
        MaxErrorRetry = 0,
    });

    public static SnsClient Sns(EmulatorFixture emulator, FaultProxy proxy) =>
        new(new SnsClientOptions { ServiceUrl = proxy.Endpoint, Region = emulator.Region, MaxAttempts = 1 }, emulator.Credentials);
}
