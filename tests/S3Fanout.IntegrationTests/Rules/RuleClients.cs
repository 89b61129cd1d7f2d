using Amazon.Runtime;
using Amazon.S3;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>SDK clients that talk to the emulator through a proxy, without SDK retries, so each refusal is seen as sent.</summary>
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
}
