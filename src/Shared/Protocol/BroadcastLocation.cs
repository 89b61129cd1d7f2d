using System.Text.RegularExpressions;

namespace S3Fanout.Shared.Protocol;

/// <summary>A broadcast's place in S3: <c>s3://bucket/prefix</c>. The prefix never ends with '/'.</summary>
internal sealed partial record BroadcastLocation(string Bucket, string Prefix)
{
    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    public static BroadcastLocation Parse(string text)
    {
        if (!TryParse(text, out var location, out var error))
        {
            throw new UsageException(error);
        }
        return location;
    }

    public static bool TryParse(string text, out BroadcastLocation location, out string error)
    {
        location = null!;
        // The URL is echoed in the one-line error: control characters in it must not break the line or drive the terminal.
        var shown = Printable(text);
        if (!text.StartsWith("s3://", StringComparison.Ordinal))
        {
            error = $"'{shown}' is not an S3 URL; expected s3://bucket/prefix";
            return false;
        }
        var rest = text["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!BucketName().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            error = $"'{Printable(bucket)}' in '{shown}' is not a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')";
            return false;
        }
        if (prefix.Length == 0)
        {
            error = $"'{shown}' names no broadcast; expected s3://{bucket}/NAME";
            return false;
        }
        if (prefix.Length > 900 || prefix.Any(char.IsControl) || prefix.Contains("//", StringComparison.Ordinal))
        {
            error = $"'{shown}' has an invalid key prefix (control characters, '//' or longer than 900 characters)";
            return false;
        }
        // Broadcast names become file names on mirrors; '.' and '..' parts would be path traversal there.
        if (prefix.Split('/').Any(part => part is "." or ".."))
        {
            error = $"'{shown}' has a '.' or '..' part; broadcast names must not look like relative paths";
            return false;
        }
        location = new BroadcastLocation(bucket, prefix);
        error = "";
        return true;
    }

    /// <summary><paramref name="text"/> with each control character written as \uXXXX.</summary>
    private static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : text;

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
