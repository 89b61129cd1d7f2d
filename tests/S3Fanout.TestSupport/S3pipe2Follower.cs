using System.Diagnostics;
using System.Globalization;
using System.Net;
using Amazon.S3;

namespace S3Fanout.TestSupport;

/// <summary>
/// A reader that follows a broadcast by exactly s3pipe2 0.1's <c>from</c> rule, to check that s3pipe2 can follow what
/// S3Fanout writes: it reads <c>.manifest</c>, fetches the segments 1..num_segments it has not seen yet, writes them in
/// order, and, right after writing a segment, stops if and only if the manifest said <c>completed = true</c> and that
/// segment is number <c>num_segments</c>. When it has nothing to do it reads the manifest again. Nothing else ends it
/// but the deadline, so a broadcast s3pipe2 would follow forever shows up as <see cref="S3pipe2FollowResult.TimedOut"/>.
/// </summary>
/// <remarks>s3pipe2 (https://github.com/eschwim/s3pipe2): stdoutWriter, populateDlQueue and manifest.download.</remarks>
public sealed class S3pipe2Follower(IAmazonS3 s3, string bucket, string name)
{
    /// <summary>s3pipe2 re-reads the manifest after 5 s without work; a test can be quicker without changing the rule.</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Follows the broadcast until s3pipe2's rule ends it, or <paramref name="deadline"/> passes.</summary>
    public async Task<S3pipe2FollowResult> RunAsync(TimeSpan deadline, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        using var output = new MemoryStream();
        long queuedThrough = 0; // populateDlQueue's mostRecentSegment
        var manifestsRead = 0;
        while (clock.Elapsed < deadline)
        {
            var manifest = await TryReadManifestAsync(ct).ConfigureAwait(false);
            if (manifest is null)
            {
                await Task.Delay(IdlePoll, ct).ConfigureAwait(false);
                continue;
            }
            manifestsRead++;
            var (numSegments, completed) = manifest.Value;
            for (var index = queuedThrough + 1; index <= numSegments; index++)
            {
                await FetchIntoAsync(index, output, ct).ConfigureAwait(false);
                if (completed && index == numSegments)
                {
                    return new S3pipe2FollowResult(output.ToArray(), TimedOut: false, index, manifestsRead, clock.Elapsed);
                }
            }
            queuedThrough = Math.Max(queuedThrough, numSegments);
            await Task.Delay(IdlePoll, ct).ConfigureAwait(false);
        }
        return new S3pipe2FollowResult(output.ToArray(), TimedOut: true, queuedThrough, manifestsRead, clock.Elapsed);
    }

    private async Task FetchIntoAsync(long index, Stream output, CancellationToken ct)
    {
        // s3pipe2's fnFormat "%s/%-15.15d": the index zero-padded to 15 digits.
        var key = $"{name}/{index.ToString("D15", CultureInfo.InvariantCulture)}";
        using var response = await s3.GetObjectAsync(bucket, key, ct).ConfigureAwait(false);
        await response.ResponseStream.CopyToAsync(output, ct).ConfigureAwait(false);
    }

    /// <summary>num_segments (ConfigParser getint) and completed (getboolean) of section [s3pipe2], or null while there is no manifest.</summary>
    private async Task<(long NumSegments, bool Completed)?> TryReadManifestAsync(CancellationToken ct)
    {
        string text;
        try
        {
            using var response = await s3.GetObjectAsync(bucket, $"{name}/.manifest", ct).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream);
            text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? section = null;
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
            }
            else if (section == "s3pipe2" && line.IndexOfAny(['=', ':']) is > 0 and var sep)
            {
                values[line[..sep].Trim()] = line[(sep + 1)..].Trim();
            }
        }
        var num = values.TryGetValue("num_segments", out var n) ? long.Parse(n, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        var completed = values.TryGetValue("completed", out var c) && c.ToLowerInvariant() is "true" or "1" or "yes" or "on";
        return (num, completed);
    }
}

/// <summary>What an <see cref="S3pipe2Follower"/> wrote, whether only the deadline ended it, and the last segment it wrote.</summary>
public sealed record S3pipe2FollowResult(byte[] Output, bool TimedOut, long LastSegment, int ManifestsRead, TimeSpan Elapsed);
