using Amazon.Runtime;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>DefaultRequest requires an SDK request object to wrap; nothing in it is read when signing.</summary>
internal sealed class SnsSignableRequest : AmazonWebServiceRequest
{
}
