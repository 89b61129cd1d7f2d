using System.Security.Cryptography;
using System.Text;

namespace S3Fanout.Shared.Notifications;

/// <summary>
/// Names shared by publishers and subscribers of one bucket's channel: the default topic <c>s3fanout-&lt;bucket&gt;</c>
/// and subscriber queues <c>s3fanout-&lt;bucket&gt;-&lt;instance&gt;</c>, which <c>--notify sqs</c> publishers find by prefix.
/// </summary>
internal static class ChannelNames
{
    private const int MaxQueueName = 80;
    private const int InstanceIdLength = 12;

    public static string DefaultTopicName(string bucket) => "s3fanout-" + bucket.Replace('.', '-');

    /// <summary>Queue names are at most 80 characters; long bucket names are shortened with a hash so prefixes stay unique.</summary>
    public static string QueuePrefix(string bucket)
    {
        var full = DefaultTopicName(bucket) + "-";
        var room = MaxQueueName - InstanceIdLength;
        if (full.Length <= room)
        {
            return full;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bucket)))[..8];
        return full[..(room - 10)] + hash + "-";
    }

    public static string NewQueueName(string bucket) =>
        QueuePrefix(bucket) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(InstanceIdLength / 2));
}
