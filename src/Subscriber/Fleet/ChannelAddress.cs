using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>A channel: a bucket and a key prefix (possibly empty). Broadcasts under it are named <c>Prefix + rest</c>.</summary>
internal sealed record ChannelAddress(string Bucket, string Prefix)
{
    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    public bool Contains(string bucket, string broadcast) =>
        bucket == Bucket && broadcast.StartsWith(Prefix, StringComparison.Ordinal) && broadcast.Length > Prefix.Length;

    /// <summary>The part of <paramref name="broadcast"/> below the channel prefix, without leading '/'.</summary>
    public string Relative(string broadcast) => broadcast[Prefix.Length..].TrimStart('/');

    /// <summary>
    /// Parses <c>s3://bucket/prefix/</c>. A trailing '/' is kept: <c>nightly/</c> matches <c>nightly/db</c> but not
    /// <c>nightly2/db</c>; <c>nightly</c> matches both.
    /// </summary>
    public static bool TryParse(string url, out ChannelAddress address, out string error)
    {
        address = null!;
        if (!url.StartsWith("s3://", StringComparison.Ordinal))
        {
            error = $"'{url}' is not an S3 URL; expected s3://bucket/prefix/";
            return false;
        }
        var rest = url["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        // The bucket rules are the broadcast URL's; any broadcast name stands in for the prefix while checking them.
        if (!BroadcastLocation.TryParse($"s3://{bucket}/x", out _, out error))
        {
            return false;
        }
        if (prefix.Length > 900 || prefix.Any(char.IsControl) || prefix.StartsWith('/'))
        {
            error = $"'{url}' has an invalid key prefix";
            return false;
        }
        address = new ChannelAddress(bucket, prefix);
        return true;
    }
}
