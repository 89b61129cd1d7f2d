using System.Globalization;

namespace S3Fanout.Subscriber.Planning;

/// <summary>Parses a stream rate: <c>100MB/s</c>, <c>1.5GiB/s</c>, <c>800KB</c> (the <c>/s</c> is optional; KB, MB, GB are powers of 1000).</summary>
internal static class ByteRate
{
    private static readonly (string Suffix, double Scale)[] Units =
    [
        ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024.0 * 1024 * 1024),
        ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("b", 1),
    ];

    public static bool TryParse(string text, out double bytesPerSecond)
    {
        bytesPerSecond = 0;
        var t = text.Trim().ToLowerInvariant();
        if (t.EndsWith("/s", StringComparison.Ordinal))
        {
            t = t[..^2];
        }
        var scale = 1.0;
        foreach (var (suffix, s) in Units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                (t, scale) = (t[..^suffix.Length], s);
                break;
            }
        }
        if (!double.TryParse(t.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0 || !double.IsFinite(n * scale))
        {
            return false;
        }
        bytesPerSecond = n * scale;
        return true;
    }
}
