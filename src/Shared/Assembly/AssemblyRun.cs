using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Assembly;

/// <summary>
/// The one way a broadcast is assembled, by <c>s3fanout-subscribe assemble</c> and by <c>s3fanout-publish --assemble</c>:
/// wait for it to complete if asked, read it, assemble it.
/// </summary>
internal sealed class AssemblyRun(IAmazonS3 s3, BroadcastStore store, StepRetry retry, ILoggerFactory loggers, TimeProvider time)
{
    /// <summary>How often an open broadcast's manifest is read while <c>--wait</c> runs (with jitter, so many waiters spread out).</summary>
    public static readonly TimeSpan WaitPoll = TimeSpan.FromSeconds(5);

    /// <summary>The run an archive command uses, from the services of <see cref="Cli.S3FanoutHost"/>, with -t attempts per call.</summary>
    public static AssemblyRun FromServices(IServiceProvider services, int tries)
    {
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        // Copies of large parts may rightly take minutes: an attempt is bounded by the SDK's own timeouts, not a fixed one.
        var retry = new StepRetry(tries, loggers.CreateLogger<AssemblyRun>(), attemptTimeout: Timeout.InfiniteTimeSpan, time: time);
        return new AssemblyRun(services.GetRequiredService<AwsConnection>().S3, services.GetRequiredService<BroadcastStore>(), retry, loggers, time);
    }

    /// <param name="wait">How long an open broadcast may take to complete; zero refuses it at once (exit 8).</param>
    public async Task<AssemblyResult> RunAsync(BroadcastLocation source, AssemblyTarget target, TimeSpan wait, CancellationToken ct)
    {
        var manifests = new ManifestStore(store, source);
        var manifest = await CompletedAsync(manifests, wait, ct).ConfigureAwait(false);
        // Checked before any work; the conditional write at completion still decides a race.
        if (!target.Force && await store.ObjectExistsAsync(target.Bucket, target.Key, ct).ConfigureAwait(false))
        {
            throw Assembler.DestinationExists(target);
        }
        var segments = await AssemblySource.LoadAsync(s3, store, manifests, manifest, retry, ct).ConfigureAwait(false);
        return await new Assembler(s3, store, retry, loggers.CreateLogger<Assembler>()).RunAsync(segments, target, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>verify OBJECT --against BROADCAST</c>: the object's size, then its full-object CRC-64/NVME as S3 reports it
    /// (HeadObject with checksum mode, https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html) against the
    /// stream's; where S3 reports none, the object is read back and its CRC-64/NVME and SHA-256 compared.
    /// </summary>
    public async Task<AssemblyCheck> CheckAsync(BroadcastLocation source, string bucket, string key, CancellationToken ct)
    {
        var manifests = new ManifestStore(store, source);
        var manifest = await CompletedAsync(manifests, TimeSpan.Zero, ct).ConfigureAwait(false);
        var segments = await AssemblySource.LoadAsync(s3, store, manifests, manifest, retry, ct).ConfigureAwait(false);
        var head = await retry.ExecuteAsync(async t => await s3.GetObjectMetadataAsync(new Amazon.S3.Model.GetObjectMetadataRequest
        {
            BucketName = bucket,
            Key = key,
            ChecksumMode = ChecksumMode.ENABLED,
        }, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        var check = new AssemblyCheck($"s3://{bucket}/{key}", source.ToString(), head.ContentLength, manifest.Bytes, segments.StreamCrc);
        if (head.ContentLength != manifest.Bytes)
        {
            return check with { VerifiedBy = "size" };
        }
        if (head.ChecksumCRC64NVME is { } crc && head.ChecksumType == ChecksumType.FULL_OBJECT)
        {
            return check with { Crc = crc, VerifiedBy = "full-object-crc" };
        }
        var (length, read, sha256) = await retry.ExecuteAsync(async t => await ObjectDigest.ReadAsync(s3, bucket, key, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        return check with { Bytes = length, Crc = read, Sha256 = sha256, ExpectedSha256 = manifest.StreamSha256, VerifiedBy = "download" };
    }

    private async Task<Manifest> CompletedAsync(ManifestStore manifests, TimeSpan wait, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var manifest = await manifests.TryReadAsync(ct).ConfigureAwait(false)
                ?? throw new FatalException(ExitCodes.NotFound, $"no broadcast at {manifests.Location} (no {KeyLayout.ManifestName})");
            switch (manifest.State)
            {
                case BroadcastState.Complete:
                    return manifest;
                case BroadcastState.Aborted:
                    throw new FatalException(ExitCodes.BroadcastFailed, $"{manifests.Location} was aborted ({manifest.AbortReason ?? "no reason recorded"}); only a complete broadcast can be assembled");
            }
            if (time.GetUtcNow() >= deadline)
            {
                throw new FatalException(ExitCodes.BroadcastFailed, wait == TimeSpan.Zero
                    ? $"{manifests.Location} is still open; give --wait DURATION to assemble it once it completes"
                    : $"{manifests.Location} did not complete within --wait {Cli.Durations.Format(wait)}");
            }
            var pause = Backoff.EqualJitterDelay(1, null, WaitPoll, WaitPoll);
            await Task.Delay(pause < deadline - time.GetUtcNow() ? pause : deadline - time.GetUtcNow(), time, ct).ConfigureAwait(false);
        }
    }
}
