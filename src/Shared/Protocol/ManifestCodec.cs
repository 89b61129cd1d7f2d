using System.Globalization;
using System.Text;

namespace S3Fanout.Shared.Protocol;

/// <summary>Reads and writes the INI text of a <see cref="Manifest"/> (section <c>[s3pipe2]</c>, <c>key = value</c>).</summary>
/// <remarks>Hand-written: the format is one section of plain keys, and s3pipe2 wrote it with Python's ConfigParser,
/// whose quirks (':' as separator, continuation lines, comments) a general INI package would not match either.</remarks>
internal static class ManifestCodec
{
    public const string Section = "s3pipe2";
    public const int MaxBytes = 64 * 1024;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string Format(Manifest m)
    {
        var sb = new StringBuilder();
        sb.Append('[').Append(Section).Append("]\n");
        void Put(string key, string? value)
        {
            if (value is not null)
            {
                sb.Append(key).Append(" = ").Append(value).Append('\n');
            }
        }
        Put("version", m.Version);
        Put("segment_size", Invariant(m.SegmentSizeMb));
        Put("upload_began", Time(m.UploadBegan));
        Put("completed", m.Completed ? "true" : "false");
        Put("num_segments", Invariant(m.NumSegments));
        Put("total_size", Invariant(m.TotalSize));
        Put("upload_ended", Time(m.UploadEnded));
        Put("s3fanout_format", Invariant(m.FormatVersion));
        Put("state", m.State.ToString().ToLowerInvariant());
        Put("segment_size_bytes", Invariant(m.SegmentSizeBytes));
        Put("checksum_algorithm", m.ChecksumAlgorithm);
        Put("stream_sha256", m.StreamSha256);
        Put("notify", m.Notify);
        Put("topic_arn", m.TopicArn);
        Put("updated_at", Time(m.UpdatedAt));
        Put("abort_reason", m.AbortReason is null ? null : OneLine(m.AbortReason));
        Put("stored_segments", m.StoredSegments is { } segments ? Invariant(segments) : null);
        Put("stored_bytes", m.StoredBytes is { } bytes ? Invariant(bytes) : null);
        Put("relayed_from", m.RelayedFrom is null ? null : OneLine(m.RelayedFrom));
        return sb.ToString();
    }

    /// <summary>Parses manifest text written by S3Fanout or by s3pipe2. Throws <see cref="ManifestException"/> on anything malformed.</summary>
    public static Manifest Parse(string text)
    {
        if (text.Length > MaxBytes)
        {
            throw new ManifestException($"manifest is {text.Length} bytes; at most {MaxBytes} expected");
        }
        var values = ReadSection(text);
        var legacyCompleted = Bool(values, "completed", required: true);
        var numSegments = Long(values, "num_segments", required: false, min: 0, max: KeyLayout.MaxIndex);
        var format = (int)Long(values, "s3fanout_format", required: false, min: 0, max: 1);
        var state = values.TryGetValue("state", out var stateText)
            ? stateText switch
            {
                "open" => BroadcastState.Open,
                "complete" => BroadcastState.Complete,
                "aborted" => BroadcastState.Aborted,
                _ => throw new ManifestException($"manifest key 'state' has unknown value '{stateText}'"),
            }
            : legacyCompleted ? BroadcastState.Complete : BroadcastState.Open;
        if ((state == BroadcastState.Complete) != legacyCompleted)
        {
            throw new ManifestException($"manifest says completed = {(legacyCompleted ? "true" : "false")} but state = {stateText}");
        }
        var sha = Optional(values, "stream_sha256");
        if (sha is not null && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
        {
            throw new ManifestException("manifest key 'stream_sha256' is not 64 hex digits");
        }
        var totalSize = Long(values, "total_size", required: false, min: 0, max: long.MaxValue);
        var storedSegments = OptionalLong(values, "stored_segments", min: numSegments, max: legacyCompleted ? numSegments : KeyLayout.MaxIndex);
        var storedBytes = OptionalLong(values, "stored_bytes", min: totalSize, max: legacyCompleted ? totalSize : long.MaxValue);
        return new Manifest
        {
            Version = Optional(values, "version") ?? "",
            // s3pipe2 wrote its -m here unchecked (a short stream never reached it), so only absurd values are refused.
            SegmentSizeMb = Long(values, "segment_size", required: false, min: 0, max: 5 * 1024 * 1024),
            UploadBegan = TimeValue(values, "upload_began"),
            Completed = legacyCompleted,
            NumSegments = numSegments,
            TotalSize = totalSize,
            UploadEnded = TimeValue(values, "upload_ended"),
            FormatVersion = format,
            State = state,
            SegmentSizeBytes = Long(values, "segment_size_bytes", required: false, min: 0, max: S3Limits.MaxObjectBytes),
            ChecksumAlgorithm = Optional(values, "checksum_algorithm"),
            StreamSha256 = sha?.ToLowerInvariant(),
            Notify = Optional(values, "notify"),
            TopicArn = Optional(values, "topic_arn"),
            UpdatedAt = TimeValue(values, "updated_at"),
            AbortReason = Optional(values, "abort_reason"),
            StoredSegments = storedSegments,
            StoredBytes = storedBytes,
            RelayedFrom = Optional(values, "relayed_from"),
        };
    }

    private static Dictionary<string, string> ReadSection(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? section = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line[0] == '[')
            {
                if (line[^1] != ']')
                {
                    throw new ManifestException($"manifest has a malformed section header '{Shorten(line)}'");
                }
                section = line[1..^1].Trim();
                continue;
            }
            var sep = line.IndexOfAny(['=', ':']);
            if (sep <= 0)
            {
                throw new ManifestException($"manifest has a malformed line '{Shorten(line)}'");
            }
            if (section == Section)
            {
                values[line[..sep].Trim()] = line[(sep + 1)..].Trim();
            }
        }
        if (values.Count == 0)
        {
            throw new ManifestException($"manifest has no [{Section}] section");
        }
        return values;
    }

    private static string? Optional(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    private static long Long(Dictionary<string, string> values, string key, bool required, long min, long max)
    {
        var text = Optional(values, key);
        if (text is null)
        {
            return required ? throw new ManifestException($"manifest is missing '{key}'") : 0;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ManifestException($"manifest key '{key}' = '{Shorten(text)}' is not a whole number in {min}..{max}");
        }
        return value;
    }

    /// <summary>A key that may be absent (null), and when present must lie in <paramref name="min"/>..<paramref name="max"/>.</summary>
    private static long? OptionalLong(Dictionary<string, string> values, string key, long min, long max) =>
        Optional(values, key) is null ? null : Long(values, key, required: true, min, max);

    private static bool Bool(Dictionary<string, string> values, string key, bool required)
    {
        var text = Optional(values, key);
        return text?.ToLowerInvariant() switch
        {
            null when !required => false,
            null => throw new ManifestException($"manifest is missing '{key}'"),
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw new ManifestException($"manifest key '{key}' = '{Shorten(text)}' is not true or false"),
        };
    }

    private static DateTimeOffset? TimeValue(Dictionary<string, string> values, string key)
    {
        var text = Optional(values, key);
        if (text is null)
        {
            return null;
        }
        // s3pipe2 wrote local time without a zone; S3Fanout writes UTC with 'Z'. Either parses; a zoneless one is taken as UTC.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new ManifestException($"manifest key '{key}' = '{Shorten(text)}' is not a timestamp");
    }

    private static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static string Invariant(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string OneLine(string s) => new string(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

internal sealed class ManifestException(string message) : Exception(message);
