using Amazon.Runtime;

namespace S3Fanout.UnitTests.Sns;

/// <summary>Hands out a new session token on every fetch, like refreshing role credentials near expiry.</summary>
internal sealed class RotatingCredentials : AWSCredentials
{
    private int _fetches;

    public int Fetches => Volatile.Read(ref _fetches);

    public override ImmutableCredentials GetCredentials()
    {
        var n = Interlocked.Increment(ref _fetches);
        return new ImmutableCredentials(SnsTestClient.AccessKey, SnsTestClient.SecretKey, $"token-{n}");
    }

    public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(GetCredentials());
}
