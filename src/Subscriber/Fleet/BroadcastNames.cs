using System.Text;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Maps a broadcast name, which comes from S3 keys someone else wrote and so is untrusted, to a path inside a sink
/// directory. Each '/'-separated part must be a plain file name: no '.', '..', empty parts, control characters,
/// backslashes or names over 200 bytes, and the whole path at most 1024 bytes. The resolved path must stay inside the root.
/// </summary>
internal static class BroadcastNames
{
    private const int MaxPartBytes = 200;
    private const int MaxPathBytes = 1024;

    public static bool TryMapToFile(string root, string relativeName, out string path, out string reason)
    {
        path = "";
        reason = "";
        if (relativeName.Length == 0 || Encoding.UTF8.GetByteCount(relativeName) > MaxPathBytes)
        {
            reason = "the name is empty or longer than 1024 bytes";
            return false;
        }
        var parts = relativeName.Split('/');
        foreach (var part in parts)
        {
            if (part.Length == 0 || part is "." or "..")
            {
                reason = "the name has an empty, '.' or '..' part";
                return false;
            }
            if (part.Any(c => char.IsControl(c) || c == '\\') || part.StartsWith(".s3fanout", StringComparison.Ordinal))
            {
                reason = "the name has control characters, a backslash or a reserved part";
                return false;
            }
            if (Encoding.UTF8.GetByteCount(part) > MaxPartBytes)
            {
                reason = "a part of the name is longer than 200 bytes";
                return false;
            }
        }
        var fullRoot = Path.GetFullPath(root);
        var candidate = Path.GetFullPath(Path.Combine(fullRoot, Path.Combine(parts)));
        if (!candidate.StartsWith(Path.TrimEndingDirectorySeparator(fullRoot) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            reason = "the name resolves outside the sink directory";
            return false;
        }
        path = candidate;
        return true;
    }
}
