using System.CommandLine.Parsing;
using System.Globalization;

namespace S3Fanout.Shared.Cli;

/// <summary>Parses durations such as <c>250ms</c>, <c>1s</c>, <c>2m</c>, <c>1h</c>, or plain seconds (<c>1.5</c>).</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1),
            _ when t.EndsWith('m') => (t[..^1], 60),
            _ when t.EndsWith('h') => (t[..^1], 3600),
            _ => (t, 1),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n * scale) || n * scale > 1e7)
        {
            return false;
        }
        value = TimeSpan.FromSeconds(n * scale);
        return true;
    }

    /// <summary>A duration the way <see cref="TryParse"/> reads it, in the largest whole unit: 250ms, 10s, 5m, 168h.</summary>
    public static string Format(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        return ms switch
        {
            _ when ms % 3_600_000 == 0 && ms > 0 => string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000}h"),
            _ when ms % 60_000 == 0 && ms > 0 => string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000}m"),
            _ when ms % 1000 == 0 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000}s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{ms}ms"),
        };
    }

    public static TimeSpan Parse(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParse(token, out var value))
        {
            return value;
        }
        result.AddError($"'{token}' is not a duration (examples: 250ms, 1s, 2m)");
        return default;
    }
}
