using Amazon.Runtime;
using S3Fanout.Shared.Aws.Sns;

namespace S3Fanout.UnitTests.Sns;

internal static class SnsTestClient
{
    // AWS's documented example key pair, also used by the signature reference values.
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string TopicArn = "arn:aws:sns:eu-west-1:123456789012:fanout";

    public static readonly DateTimeOffset SigningTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    public static SnsClient Create(
        CapturingHandler handler,
        out ImmediateTimeProvider time,
        int maxAttempts = 5,
        AWSCredentials? credentials = null,
        TimeSpan? attemptTimeout = null)
    {
        time = new ImmediateTimeProvider(SigningTime);
        var options = new SnsClientOptions
        {
            Region = "eu-west-1",
            MaxAttempts = maxAttempts,
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(30),
        };
        return new SnsClient(options, credentials ?? new BasicAWSCredentials(AccessKey, SecretKey), new HttpClient(handler), null, time);
    }

    public static SnsClient Create(CapturingHandler handler, int maxAttempts = 5) =>
        Create(handler, out _, maxAttempts);
}
