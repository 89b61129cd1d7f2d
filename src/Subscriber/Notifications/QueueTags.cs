using System.Globalization;
using System.Text;

namespace S3Fanout.Subscriber.Notifications;

/// <summary>Tags on every subscriber queue. <see cref="Alive"/> is refreshed while its owner runs.</summary>
/// <remarks>
/// SQS allows only letters, digits, spaces and <c>_ . : / = + - @</c> in a tag value, and at most 256 Unicode characters
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html, "Queue tag"); a
/// CreateQueue with any other tag value fails. Values that come from outside (a broadcast name, the machine name) are
/// therefore written with <see cref="Value"/>.
/// </remarks>
internal static class QueueTags
{
    public const string Bucket = "s3fanout:bucket";
    public const string Watching = "s3fanout:watching";
    public const string Host = "s3fanout:host";
    public const string Pid = "s3fanout:pid";
    public const string Created = "s3fanout:created";
    public const string Alive = "s3fanout:alive";

    /// <summary>The longest tag value SQS accepts, in characters.</summary>
    public const int MaxValueLength = 256;

    /// <summary>How often a running subscriber refreshes <see cref="Alive"/>.</summary>
    public static readonly TimeSpan AliveInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <paramref name="text"/> as a valid tag value: ASCII letters, digits, space and <c>_ . : / + - @</c> stay as they
    /// are; every other character becomes <c>=XX</c> per UTF-8 byte (so <c>=</c> is <c>=3D</c>). Only ASCII is written,
    /// so the value is cut at <see cref="MaxValueLength"/> characters between two whole characters of the text.
    /// </summary>
    public static string Value(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = new StringBuilder(Math.Min(text.Length, MaxValueLength));
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            var piece = rune.IsAscii && IsLiteral((char)rune.Value)
                ? ((char)rune.Value).ToString()
                : string.Concat(utf8[..rune.EncodeToUtf8(utf8)].ToArray().Select(b => "=" + b.ToString("X2", CultureInfo.InvariantCulture)));
            if (value.Length + piece.Length > MaxValueLength)
            {
                break;
            }
            value.Append(piece);
        }
        return value.ToString();
    }

    /// <summary>The text a <see cref="Value"/> was made from (cut as the value was); other values come back unchanged.</summary>
    public static string Text(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('=', StringComparison.Ordinal))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '=' && i + 2 < value.Length && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsLiteral(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_' or '.' or ':' or '/' or '+' or '-' or '@';
}
