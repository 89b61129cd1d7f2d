using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// ClientConfig's constructor insists on a defaults provider; the SDK's own one needs per-service data,
/// so this supplies the SDK's "standard" mode, which the signer never consults anyway.
/// </summary>
internal sealed class SnsSigningDefaults : IDefaultConfigurationProvider
{
    private static readonly DefaultConfiguration Standard = new()
    {
        Name = DefaultConfigurationMode.Standard,
        RetryMode = RequestRetryMode.Standard,
        S3UsEast1RegionalEndpoint = S3UsEast1RegionalEndpointValue.Regional,
    };

    public IDefaultConfiguration GetDefaultConfiguration(RegionEndpoint clientRegion, DefaultConfigurationMode? requestedConfigurationMode = null) =>
        Standard;
}
