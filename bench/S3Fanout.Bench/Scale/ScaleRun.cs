using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;

namespace S3Fanout.Bench.Scale;

/// <summary>
/// `bench/run --scale`: N subscribers in this one process (one host: one S3 and one SQS client, one HTTP pool each,
/// shared by all), each with its own SQS queue and SNS subscription, against the emulator through the fault proxy with
/// AWS's quotas on (200 filter policies per topic, 100 Subscribe calls a second, a per-prefix GET rate scaled to the
/// fleet). One publisher process publishes one broadcast, written to its stdin at a steady segment rate once every
/// subscriber has joined.
/// </summary>
internal sealed class ScaleRun(BenchOptions o, RawS3 s3, string bucket, ScaleSettings settings)
{
    private FaultProxy _proxy = null!;
    private FilterPolicyQuotaRule _quota = null!;
    private SubscribeThrottleRule _throttle = null!;
    private PrefixGetRate _getRate = null!;

    public async Task<int> RunAsync()
    {
        try
        {
            return await MeasureAsync().ConfigureAwait(false);
        }
        catch (StageException e)
        {
            Console.WriteLine($"FAILED: {e.Message}");
            return 1;
        }
    }

    private async Task<int> MeasureAsync()
    {
        Directory.CreateDirectory(o.WorkDir);
        await using var proxy = new FaultProxy(o.Endpoint, seed: 12);
        _proxy = proxy;
        _quota = proxy.Rules.Add(new FilterPolicyQuotaRule(settings.FilterPoliciesPerTopic));
        _throttle = proxy.Rules.Add(new SubscribeThrottleRule(settings.SubscribesPerSecond));
        _getRate = proxy.Rules.Add(new PrefixGetRate(settings.PrefixGetRate));
        var stream = RandomNumberGenerator.GetBytes(settings.StreamBytes);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        Stages.Log($"scale: {settings.Subscribers} subscribers in-process, {Report.SizeText(settings.StreamBytes)} in {settings.SegmentKiB} KiB segments at {settings.SegmentsPerSecond}/s; "
            + $"rules: {settings.FilterPoliciesPerTopic} filter policies/topic, {settings.SubscribesPerSecond} Subscribe/s, {settings.PrefixGetRate:0.#} GET/s per prefix");

        var variants = new List<ScaleResult> { await VariantAsync("direct", 0, stream, sha256).ConfigureAwait(false) };
        if (settings.Relays > 0)
        {
            variants.Add(await VariantAsync($"behind {settings.Relays} relays", settings.Relays, stream, sha256).ConfigureAwait(false));
        }
        var report = new ScaleReport(o, settings, variants);
        report.Write();
        return variants.All(v => v.Passed) ? 0 : 1;
    }

    /// <param name="relays">0: every subscriber reads the origin; else R relay processes copy it into a bucket each and subscriber i reads relay i mod R.</param>
    private async Task<ScaleResult> VariantAsync(string name, int relays, byte[] stream, string sha256)
    {
        var prefix = $"scale/{(relays == 0 ? "direct" : "relayed")}-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        var relayBuckets = Enumerable.Range(1, relays).Select(i => $"{bucket}-r{i}").ToList();
        foreach (var b in relayBuckets)
        {
            await s3.CreateBucketAsync(b).ConfigureAwait(false);
        }
        var counters = new ScaleCounters(bucket);
        _proxy.RequestSeen += counters.Seen;
        _proxy.Rules.Add(counters);
        var before = RuleFigures();
        var cpu = new CpuMeter(o.EmulatorPid);
        var cpuBefore = cpu.Read();
        var timeFile = Path.Combine(o.WorkDir, $"publish-{name}.time");
        var publisherErr = new StringBuilder();
        using var publisher = StartExecutable(o.PublisherDll, timeFile, publisherErr, stdin: true,
            ["--endpoint-url", _proxy.Endpoint.ToString(), "-m", "1", "--flush-interval", $"{settings.FlushInterval.TotalMilliseconds:0}ms",
                .. settings.Replicas > 0 ? (string[])["--replicas", $"{settings.Replicas}"] : [], $"s3://{bucket}/{prefix}"]);
        var relayProcesses = new List<(Process Process, StringBuilder Err, string TimeFile)>();
        try
        {
            await WaitForManifestAsync(bucket, prefix, publisher, publisherErr).ConfigureAwait(false);
            foreach (var b in relayBuckets)
            {
                var err = new StringBuilder();
                var relayTime = Path.Combine(o.WorkDir, $"relay-{b}.time");
                relayProcesses.Add((StartExecutable(o.SubscriberDll, relayTime, err, stdin: false,
                    ["relay", "--endpoint-url", _proxy.Endpoint.ToString(), "--wait", "300s", "--stall-timeout", "300s", $"s3://{bucket}/{prefix}", $"s3://{b}/{prefix}"]), err, relayTime));
            }
            foreach (var (b, r) in relayBuckets.Zip(relayProcesses))
            {
                await WaitForManifestAsync(b, prefix, r.Process, r.Err).ConfigureAwait(false);
            }
            using var host = BuildHost();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(20));
            var locations = relays == 0 ? [BroadcastLocation.Parse($"s3://{bucket}/{prefix}")] : relayBuckets.Select(b => BroadcastLocation.Parse($"s3://{b}/{prefix}")).ToList();
            var startedAt = Stopwatch.GetTimestamp();
            var subscribers = Enumerable.Range(0, settings.Subscribers).Select(i => Task.Run(() => FollowAsync(host.Services, locations[i % locations.Count], i, deadline.Token))).ToList();
            await WaitForJoinsAsync(counters, subscribers, settings.Subscribers + relays).ConfigureAwait(false);
            var policiesAtJoin = _quota.Total;
            var feedStarted = Stopwatch.GetTimestamp();
            await FeedAsync(publisher, stream).ConfigureAwait(false);
            await Shell.WaitAsync(publisher, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
            var publisherDone = Stopwatch.GetTimestamp();
            var outcomes = await Task.WhenAll(subscribers).ConfigureAwait(false);
            var relayRuns = new List<TimedRun>();
            foreach (var r in relayProcesses)
            {
                var ended = await Shell.WaitAsync(r.Process, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
                relayRuns.Add(Shell.Collect(r.Process.ExitCode, 0, ended, r.TimeFile, Path.Combine(o.WorkDir, "none")));
            }
            var cpuAfter = cpu.Read();
            var published = Shell.Collect(publisher.ExitCode, Stopwatch.GetElapsedTime(feedStarted, publisherDone).TotalSeconds, publisherDone, timeFile, Path.Combine(o.WorkDir, "none"));
            return new ScaleResult
            {
                Name = name,
                Relays = relays,
                RelayExits = [.. relayRuns.Select(r => r.ExitCode)],
                RelayErrors = [.. relayProcesses.Where(r => r.Process.ExitCode != 0).Select(r => Stages.Tail(r.Err))],
                RelayCpuS = relayRuns.Sum(r => r.CpuS),
                Subscribers = settings.Subscribers,
                Segments = await CountSegmentsAsync(prefix).ConfigureAwait(false),
                StreamSha256 = sha256,
                StreamBytes = stream.Length,
                Outcomes = outcomes,
                StartedAt = startedAt,
                FeedStartedAt = feedStarted,
                PublisherDoneAt = publisherDone,
                PublisherExit = publisher.ExitCode,
                PublisherStderr = Stages.Tail(publisherErr),
                PublisherCpuS = published.CpuS,
                HarnessCpuS = cpuAfter.Self - cpuBefore.Self,
                EmulatorCpuS = cpuAfter.Emulator - cpuBefore.Emulator,
                HarnessPeakRssMiB = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
                Counters = counters,
                JoinedAt = counters.JoinedAt.Values.ToList(),
                Rules = RuleFigures().Minus(before),
                FilterPoliciesAtJoin = policiesAtJoin,
            };
        }
        finally
        {
            _proxy.RequestSeen -= counters.Seen;
            foreach (var p in relayProcesses.Select(r => r.Process).Append(publisher).Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }
            foreach (var b in relayBuckets.Prepend(bucket))
            {
                await s3.DeletePrefixAsync(b, prefix).ConfigureAwait(false);
            }
        }
    }

    private RuleFigures RuleFigures() => new(_getRate.Refused, _getRate.Passed, _proxy.Rules.Refusals("Throttled"), _throttle.Passed,
        _proxy.Rules.Refusals("FilterPolicyLimitExceeded"), _quota.Total);

    private IHost BuildHost()
    {
        // One composition root for every subscriber, as the CLI builds it for one: the SQS pool must hold every long poll.
        var aws = new AwsSettings
        {
            EndpointUrl = _proxy.Endpoint,
            Region = "us-east-1",
            Tries = 5,
            MaxConnections = settings.Subscribers + (settings.Subscribers * settings.Workers) + 16,
        };
        return S3FanoutHost.CreateBuilder(aws, new LogSettings { Level = LogLevel.Error }).Build();
    }

    private async Task<SubscriberOutcome> FollowAsync(IServiceProvider services, BroadcastLocation location, int number, CancellationToken ct)
    {
        var sink = new HashingSink();
        var options = new SubscriberOptions
        {
            Location = location,
            Workers = settings.Workers,
            Wait = TimeSpan.FromMinutes(5),
            StallTimeout = TimeSpan.FromMinutes(2),
            // Each reader is its own machine of the fleet: its own identity picks its read replica.
            Identity = $"scale-subscriber-{number}",
        };
        try
        {
            await SubscribeCommand.FollowAsync(options, services, sink, ct).ConfigureAwait(false);
            return new SubscriberOutcome(sink, null);
        }
        catch (Exception e)
        {
            return new SubscriberOutcome(sink, $"{e.GetType().Name}: {AwsConnection.OneLine(e.Message)}");
        }
    }

    /// <summary>
    /// Starts one of the executables, a JIT build's dll or a native executable, under /usr/bin/time (CPU seconds into
    /// <paramref name="timeFile"/>), stderr kept.
    /// </summary>
    private Process StartExecutable(string executable, string timeFile, StringBuilder stderr, bool stdin, string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/time") { UseShellExecute = false, RedirectStandardInput = stdin, RedirectStandardError = true };
        foreach (var a in (string[])["-f", "%e %U %S %M", "-o", timeFile, .. Shell.ExecutableArgv(o.Dotnet, executable, args)])
        {
            psi.ArgumentList.Add(a);
        }
        return Shell.StartKeepingStderr(psi, stderr);
    }

    /// <summary>The publisher (and a relay) writes an open manifest before any segment; subscribers started then find the broadcast.</summary>
    private async Task WaitForManifestAsync(string bucket, string prefix, Process publisher, StringBuilder stderr)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until && !publisher.HasExited)
        {
            try
            {
                using var _ = await s3.Client.GetObjectAsync(bucket, prefix + "/.manifest").ConfigureAwait(false);
                return;
            }
            catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
        throw new StageException(publisher.HasExited
            ? $"s3://{bucket}/{prefix}: its writer exited ({publisher.ExitCode}) before writing the manifest: {Stages.Tail(stderr)}"
            : $"s3://{bucket}/{prefix}: no manifest within 60 s: {Stages.Tail(stderr)}");
    }

    /// <summary>Waits until <paramref name="expected"/> Subscribe calls (subscribers' and relays') went through, or all have ended, or 3× the time 100/s needs + 60 s.</summary>
    private async Task WaitForJoinsAsync(ScaleCounters counters, List<Task<SubscriberOutcome>> subscribers, int expected)
    {
        var limit = TimeSpan.FromSeconds((3.0 * expected / settings.SubscribesPerSecond) + 60);
        var clock = Stopwatch.StartNew();
        var lastLog = TimeSpan.Zero;
        while (counters.Joined < expected && clock.Elapsed < limit && !subscribers.All(t => t.IsCompleted))
        {
            if (clock.Elapsed - lastLog >= TimeSpan.FromSeconds(5))
            {
                Stages.Log($"  joined {counters.Joined}/{expected} after {clock.Elapsed.TotalSeconds:F0} s");
                lastLog = clock.Elapsed;
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        Stages.Log($"  joined {counters.Joined}/{expected} after {clock.Elapsed.TotalSeconds:F1} s; publishing");
    }

    /// <summary>Writes the stream in segment-sized chunks at the steady rate (each sealed alone by the flush interval), then ends stdin.</summary>
    private async Task FeedAsync(Process publisher, byte[] stream)
    {
        var input = publisher.StandardInput.BaseStream;
        var clock = Stopwatch.StartNew();
        var chunk = 0;
        var lastWrite = TimeSpan.MinValue;
        for (var offset = 0; offset < stream.Length; offset += settings.ChunkBytes, chunk++)
        {
            // Never catch up with a burst: a write that came late (a loaded machine) would land within the flush interval
            // of the next one, and the two would be sealed as one segment. Each write waits a whole interval after the last.
            var due = chunk == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max((settings.WriteInterval * chunk).Ticks, (lastWrite + settings.WriteInterval).Ticks));
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed).ConfigureAwait(false);
            }
            await input.WriteAsync(stream.AsMemory(offset, Math.Min(settings.ChunkBytes, stream.Length - offset))).ConfigureAwait(false);
            await input.FlushAsync().ConfigureAwait(false);
            lastWrite = clock.Elapsed;
        }
        input.Close();
        Stages.Log($"  fed {Report.SizeText(stream.Length)} in {chunk} writes over {clock.Elapsed.TotalSeconds:F1} s");
    }

    private async Task<int> CountSegmentsAsync(string prefix)
    {
        var count = 0;
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/" };
        ListObjectsV2Response page;
        do
        {
            page = await s3.Client.ListObjectsV2Async(request).ConfigureAwait(false);
            count += (page.S3Objects ?? []).Count(x => x.Key[(x.Key.LastIndexOf('/') + 1)..].All(char.IsAsciiDigit));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return count;
    }
}

/// <summary>One in-process subscriber's end: its output, and the one-line error if it failed.</summary>
internal sealed record SubscriberOutcome(HashingSink Sink, string? Error);

/// <summary>The rules' own counters (cumulative); <see cref="Minus"/> gives one variant's share.</summary>
internal sealed record RuleFigures(int SlowDowns, int GetsPassed, int Throttled, int SubscribesPassed, int FilterPolicyRefusals, int FilterPoliciesInUse)
{
    public RuleFigures Minus(RuleFigures b) => new(SlowDowns - b.SlowDowns, GetsPassed - b.GetsPassed, Throttled - b.Throttled,
        SubscribesPassed - b.SubscribesPassed, FilterPolicyRefusals - b.FilterPolicyRefusals, FilterPoliciesInUse);
}
