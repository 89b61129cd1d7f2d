using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using S3Fanout.Shared;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>What the archive subcommands share: URL parsing, stdout output and formatting.</summary>
internal static class ArchiveCli
{
    /// <summary>An archive subcommand with its URL argument, its own options and the common AWS options.</summary>
    internal static Command Define(string name, string summary, CommonOptions common, Argument<string> url, params Option[] options)
    {
        var command = new Command(name, summary);
        command.Arguments.Add(url);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
        common.AddTo(command);
        return command;
    }

    public static Option<bool> JsonOption(string what) => new("--json") { Description = $"print {what} as JSON on stdout, for scripts" };

    public static Argument<string> BroadcastArgument(string what) => new("url") { Description = $"the broadcast {what}: s3://bucket/name" };

    /// <summary>A broadcast URL, <c>s3://bucket/name</c> (or s3pipe2's <c>bucket/name</c>).</summary>
    public static BroadcastLocation ParseBroadcast(string url) => BroadcastLocation.Parse(S3pipe2Compat.NormalizeUrl(url));

    /// <summary>A listing URL, <c>s3://bucket</c> or <c>s3://bucket/prefix</c>: the bucket and the raw key prefix (may be empty).</summary>
    public static (string Bucket, string Prefix) ParsePrefix(string url)
    {
        var text = S3pipe2Compat.NormalizeUrl(url);
        if (!text.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new UsageException($"'{url}' is not an S3 URL; expected s3://bucket/prefix/");
        }
        var rest = text["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].TrimStart('/');
        // The bucket rules are BroadcastLocation's; a placeholder name lets it check them.
        if (!BroadcastLocation.TryParse($"s3://{bucket}/x", out _, out var error))
        {
            throw new UsageException(error.Replace("s3://" + bucket + "/x", url, StringComparison.Ordinal));
        }
        if (prefix.Length > 900 || prefix.Any(char.IsControl))
        {
            throw new UsageException($"'{url}' has an invalid key prefix (control characters or longer than 900 characters)");
        }
        return (bucket, prefix);
    }

    public static Task WriteJsonAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken ct) => WriteAsync(JsonOutput.Serialize(value, type) + "\n", ct);

    public static async Task WriteAsync(string text, CancellationToken ct)
    {
        try
        {
            await Console.Out.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new FatalException(ExitCodes.LocalIo, $"cannot write to stdout: {e.Message}", e);
        }
    }

    /// <summary>A byte count for people: 0 B, 512 B, 10.0 KiB, 5.0 MiB, 1.2 GiB.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    public static string Bytes(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Duration(TimeSpan span) => span.TotalSeconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes}m {span.Seconds}s"),
    };

    /// <summary>Indexes as ranges for one line: 2, 5-9, 12.</summary>
    public static string Ranges(IEnumerable<long> indexes)
    {
        var sorted = indexes.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }
            parts.Add(j == i
                ? sorted[i].ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}"));
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}
