using Amazon.S3;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;

namespace S3Fanout.UnitTests.Support;

internal static class Stores
{
    /// <summary>The manifest store of <see cref="Locations.Default"/> on <paramref name="s3"/>, one attempt per read so a scripted failure arrives as it is.</summary>
    public static ManifestStore Manifests(IAmazonS3 s3) =>
        new(new BroadcastStore(s3, 1, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance), Locations.Default);
}
