using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// Finds the broadcasts under a key prefix: every <c>NAME/.manifest</c> object names one. A broadcast's segments
/// sort after its manifest ('.' &lt; '0'), so once a manifest is seen the listing jumps past the highest possible
/// segment key instead of paging through every segment: about one LIST per broadcast, whatever its length.
/// </summary>
internal static class BroadcastFinder
{
    private const string ManifestSuffix = "/" + KeyLayout.ManifestName;

    public static async Task<List<string>> FindAsync(IAmazonS3 s3, string bucket, string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        string? token = null;
        string? startAfter = null;
        string? skipPrefix = null;
        string? skipLimit = null;
        while (true)
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = bucket,
                Prefix = prefix,
                ContinuationToken = token,
                StartAfter = token is null ? startAfter : null,
            }, ct).ConfigureAwait(false);
            var objects = page.S3Objects ?? [];
            if (token is null && startAfter is not null && objects.Count > 0 && string.CompareOrdinal(objects[0].Key, startAfter) <= 0)
            {
                throw new FatalException(ExitCodes.Transfer, $"the endpoint ignored start-after when listing s3://{bucket}/{prefix}");
            }
            string? last = null;
            foreach (var obj in objects)
            {
                last = obj.Key;
                if (skipPrefix is not null && obj.Key.StartsWith(skipPrefix, StringComparison.Ordinal) && string.CompareOrdinal(obj.Key, skipLimit) <= 0)
                {
                    continue;
                }
                if (obj.Key.Length > ManifestSuffix.Length && obj.Key.EndsWith(ManifestSuffix, StringComparison.Ordinal))
                {
                    var name = obj.Key[..^ManifestSuffix.Length];
                    names.Add(name);
                    skipPrefix = name + "/";
                    skipLimit = KeyLayout.SegmentKey(name, KeyLayout.MaxIndex);
                }
            }
            if (page.IsTruncated != true || last is null)
            {
                return names;
            }
            if (skipPrefix is not null && last.StartsWith(skipPrefix, StringComparison.Ordinal) && string.CompareOrdinal(last, skipLimit) < 0)
            {
                // The page ended inside a broadcast's segments: jump past them.
                startAfter = skipLimit;
                token = null;
            }
            else
            {
                token = page.NextContinuationToken;
            }
        }
    }
}
