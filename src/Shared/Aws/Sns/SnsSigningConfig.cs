using Amazon.Runtime;
using Amazon.Runtime.Endpoints;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// The client configuration AWS4Signer reads: only the signing service name and region matter to it.
/// Endpoint resolution is never used, because <see cref="SnsClient"/> sends the request itself.
/// </summary>
internal sealed class SnsSigningConfig : ClientConfig
{
    public SnsSigningConfig(string region)
        : base(new SnsSigningDefaults())
    {
        AuthenticationServiceName = "sns";
        AuthenticationRegion = region;
    }

    public override string ServiceVersion => SnsQueryRequest.ApiVersion;

    public override string UserAgent => "S3Fanout-SnsClient";

    public override string RegionEndpointServiceName => "sns";

    public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters) =>
        throw new NotSupportedException("SnsClient resolves its endpoint itself.");
}
