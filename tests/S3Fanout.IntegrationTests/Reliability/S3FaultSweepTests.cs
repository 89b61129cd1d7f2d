using System.Diagnostics;
using System.Globalization;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 1: 5 % of S3 requests fail in each of eight ways (500, 503 SlowDown, 429, reset before the response, reset
/// halfway through the body, delay, truncated GET body, flipped GET bytes: 40 % of S3 requests faulted in all), one
/// publisher and three subscribers started together, over 20 seeds. Every copy must be byte-identical in every run,
/// and every run must end within <see cref="Bound"/>.
/// </summary>
/// <remarks>
/// Runs <see cref="Parallel"/> seeds at a time (each has its own proxy and bucket) to keep CI fast. To repeat some
/// seeds alone: <c>S3FANOUT_SWEEP_SEEDS=7,11 dotnet test tests/S3Fanout.IntegrationTests --filter FullyQualifiedName~S3FaultSweepTests</c>.
/// </remarks>
[Collection("emulator-reliability")]
public sealed class S3FaultSweepTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private const int Subscribers = 3;
    private const int Parallel = 3;

    /// <summary>Each run (publisher and all subscribers finished) must take less than this.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Every_copy_is_byte_identical_over_20_seeds_with_5_percent_of_S3_requests_failing_each_way()
    {
        var seeds = Environment.GetEnvironmentVariable("S3FANOUT_SWEEP_SEEDS") is { Length: > 0 } chosen
            ? chosen.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [.. Enumerable.Range(1, 20)];
        // Three proxies, twelve processes' pipes and their waits share this process's thread pool; don't let it ramp up slowly.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(Parallel);
        var results = await Task.WhenAll(seeds.Select(async seed =>
        {
            await gate.WaitAsync();
            try
            {
                return await RunSeedAsync(seed);
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var r in results)
        {
            output.WriteLine(r.Line);
        }
        var faults = new Dictionary<FaultKind, int>();
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            faults[kind] = results.Sum(r => r.Counts.Injected(kind));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TOTAL: {results.Length} runs in {clock.Elapsed.TotalSeconds:0.0} s ({Parallel} at a time); {results.Sum(r => r.Counts.TotalRequests)} requests " +
            $"({results.Sum(r => r.Counts.Requests(AwsService.S3))} S3), {results.Sum(r => r.Counts.TotalInjected)} faults injected " +
            $"({string.Join(", ", faults.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value}"))}); " +
            $"{results.Sum(r => r.BytesCompared)} bytes compared in {results.Sum(r => r.Copies)} copies; {results.Count(r => r.Failure is null)} runs all byte-identical; " +
            $"slowest run {results.Max(r => r.Elapsed.TotalSeconds):0.0} s (bound {Bound.TotalSeconds:0} s)"));

        var failures = results.Where(r => r.Failure is not null).Select(r => r.Failure).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {results.Length} runs failed:\n" + string.Join("\n\n", failures));
    }

    private async Task<SeedResult> RunSeedAsync(int seed)
    {
        var bucket = await emulator.CreateBucketAsync($"sweep-{seed}");
        var url = $"s3://{bucket}/stream";
        // 2-4 MiB, mostly not a whole number of 1 MiB segments, so the last segment is short.
        var data = new TestData((2L * MiB) + (seed * 97_001L % (2L * MiB)), seed: 1000 + seed);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed) { Plan = FaultPlan.EveryS3Fault(0.05) };
        string? failure = null;
        var elapsed = Bound;
        var codes = "timed out";
        var copies = 0;
        try
        {
            await using var run = await _kit.RunFanOutAsync(proxy, url, data, Subscribers, Bound, ["-m", "1"], []);
            elapsed = run.Elapsed;
            codes = run.Codes;
            copies = run.Subscribers.Count;
            run.AssertAllByteIdentical(data, $"seed {seed}");
            if (run.Elapsed >= Bound)
            {
                failure = $"seed {seed}: took {run.Elapsed.TotalSeconds:0.0} s, bound {Bound.TotalSeconds} s";
            }
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException or TimeoutException)
        {
            failure = $"seed {seed} ({proxy.Counts}): {e.Message}";
        }
        var line = string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {data.Length} bytes x {Subscribers} copies, {elapsed.TotalSeconds:0.0} s, {codes}; {proxy.Counts}{(failure is null ? "" : " FAILED")}");
        return new SeedResult(line, proxy.Counts, data.Length * copies, copies, elapsed, failure);
    }

    private sealed record SeedResult(string Line, FaultCounts Counts, long BytesCompared, int Copies, TimeSpan Elapsed, string? Failure);
}
