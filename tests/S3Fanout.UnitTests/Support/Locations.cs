using S3Fanout.Shared.Protocol;

namespace S3Fanout.UnitTests.Support;

internal static class Locations
{
    public static readonly BroadcastLocation Default = new("test-bucket", "streams/one");
}
