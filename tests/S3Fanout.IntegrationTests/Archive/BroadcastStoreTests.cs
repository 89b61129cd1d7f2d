using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Archive;

/// <summary>
/// <see cref="BroadcastStore"/> against the emulator, through a <see cref="FaultProxy"/> that counts the requests and
/// fails some of them, with the S3 client the executables use (its two quick SDK retries included).
/// </summary>
[Collection("emulator")]
public sealed class BroadcastStoreTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    /// <summary>One SDK call is up to three requests (MaxErrorRetry = 2): failing this many in a row fails one attempt of the store.</summary>
    internal const int FailedRequestsPerAttempt = 3;

    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenBroadcastsHoldManySegments_FindPagesPastThemAtAboutOneListPerBroadcast()
    {
        var bucket = await emulator.CreateBucketAsync("store-find");
        await PutBroadcastAsync(bucket, "p/a", segments: 40, checksums: true);
        await PutBroadcastAsync(bucket, "p/a/1x", segments: 12); // nested, its name starts with a digit
        await PutBroadcastAsync(bucket, "p/b", segments: 25);
        await PutBroadcastAsync(bucket, "p/d", segments: 0);
        await PutBroadcastAsync(bucket, "q/outside", segments: 3);
        await _kit.PutTextAsync(bucket, "p/b-notes.txt", "not a broadcast");
        foreach (var i in Enumerable.Range(1, 12))
        {
            // No manifest: paged through with the paginator's continuation tokens, nothing to skip.
            await _kit.PutTextAsync(bucket, string.Create(CultureInfo.InvariantCulture, $"p/c/file-{i:D2}"), "x");
        }
        var all = (await _kit.ListAsync(bucket, "p/")).Count;

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 11);
        var lists = CountLists(proxy);
        using var aws = Connect(proxy);
        var found = await new BroadcastStore(aws.S3, 1, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance, pageSize: 5).FindAsync(bucket, "p/", CancellationToken.None);

        output.WriteLine($"{found.Count} broadcasts among {all} keys in {lists()} LIST requests of 5 keys");
        Assert.Equal(["p/a", "p/a/1x", "p/b", "p/d"], found.Select(f => f.Name));
        Assert.All(found, f => Assert.True(f.ManifestModified?.ToUniversalTime() > DateTime.UtcNow.AddHours(-1), $"{f.Name}: manifest time {f.ManifestModified}"));
        // Paging through all 95 keys takes 19 LISTs; skipping segments takes 3, plus 3 for p/c's 12 files and p/d.
        Assert.True(lists() <= 7, $"{lists()} LIST requests for {all} keys");
    }

    [Fact]
    public async Task WhenAListFailsHalfway_TheListingResumesAfterTheLastKeyAndFindsEachBroadcastOnce()
    {
        var bucket = await emulator.CreateBucketAsync("store-find-retry");
        foreach (var name in new[] { "n/a", "n/b", "n/c", "n/d", "n/e", "n/f" })
        {
            await PutBroadcastAsync(bucket, name, segments: 1);
        }

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 12);
        var lists = 0;
        proxy.Plan = new FaultPlan
        {
            Error500 = 1,
            // The second LIST page fails in every SDK retry; the store tries again.
            Eligible = r => IsList(r) && Interlocked.Increment(ref lists) is > 1 and <= 1 + FailedRequestsPerAttempt,
        };
        using var aws = Connect(proxy);
        var found = await new BroadcastStore(aws.S3, 2, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance, pageSize: 3).FindAsync(bucket, "n/", CancellationToken.None);

        Assert.Equal(FailedRequestsPerAttempt, proxy.Counts.Injected(FaultKind.Error500));
        Assert.Equal(["n/a", "n/b", "n/c", "n/d", "n/e", "n/f"], found.Select(f => f.Name));
    }

    [Fact]
    public async Task WhenAListPageStalls_ItIsAbandonedAfterTheRequestTimeoutAndTheListingGoesOn()
    {
        var bucket = await emulator.CreateBucketAsync("store-find-stall");
        foreach (var name in new[] { "s/a", "s/b", "s/c", "s/d" })
        {
            await PutBroadcastAsync(bucket, name, segments: 1);
        }

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 15);
        var lists = 0;
        proxy.Plan = new FaultPlan
        {
            Delay = 1,
            DelayMin = TimeSpan.FromSeconds(20),
            DelayMax = TimeSpan.FromSeconds(20),
            // Only the second page is held back, once.
            Eligible = r => IsList(r) && Interlocked.Increment(ref lists) == 2,
        };
        using var aws = Connect(proxy);
        var clock = Stopwatch.StartNew();
        var found = await new BroadcastStore(aws.S3, 2, TimeSpan.FromSeconds(1), NullLogger<BroadcastStore>.Instance, pageSize: 2).FindAsync(bucket, "s/", CancellationToken.None);

        output.WriteLine($"{lists} LIST requests, done in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.Delay));
        Assert.Equal(["s/a", "s/b", "s/c", "s/d"], found.Select(f => f.Name));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the stalled page was waited for: {clock.Elapsed}");
    }

    [Fact]
    public async Task WhenABroadcastHasMoreKeysThanOneDelete_ItsOwnKeysGoInBatchesAndAFailedBatchIsSentAgain()
    {
        var bucket = await emulator.CreateBucketAsync("store-delete");
        const int Segments = BroadcastStore.DeleteBatchSize + 5;
        await PutBroadcastAsync(bucket, "x", Segments, checksums: true);
        await PutBroadcastAsync(bucket, "x/sub", segments: 2);
        await PutBroadcastAsync(bucket, "x2", segments: 1);
        await _kit.PutTextAsync(bucket, "x/notes.txt", "someone else's");
        var location = new BroadcastLocation(bucket, "x");

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 13);
        var deletes = 0;
        proxy.Plan = new FaultPlan { Error500 = 1, Eligible = r => IsDelete(r) && Interlocked.Increment(ref deletes) <= FailedRequestsPerAttempt };
        using var aws = Connect(proxy);
        var store = new BroadcastStore(aws.S3, 2, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);

        var own = await store.ListKeysAsync(location, withOthers: false, CancellationToken.None);
        Assert.Equal(Segments, own.Segments.Count);
        Assert.NotNull(own.Checksums);
        Assert.NotNull(own.Manifest);
        Assert.Empty(own.Others);
        var keys = await store.ListKeysAsync(location, withOthers: true, CancellationToken.None);
        Assert.Equal(own.Own.Select(o => o.Key), keys.Own.Select(o => o.Key));
        Assert.Equal(["x/notes.txt", "x/sub/.manifest", "x/sub/000000000000001", "x/sub/000000000000002"], keys.Others.Select(o => o.Key));

        await store.DeleteAsync(keys, CancellationToken.None);

        // The first batch of 1000 failed once (three requests), then: 1000, 5, .checksums, .manifest.
        Assert.Equal(FailedRequestsPerAttempt + 4, deletes);
        Assert.Equal(keys.Others.Select(o => o.Key), (await _kit.ListAsync(bucket, "x/")).Select(o => o.Key));
        Assert.Single(await _kit.ListAsync(bucket, "x2/0"));
        Assert.False((await store.ListKeysAsync(location, withOthers: false, CancellationToken.None)).Exists);
    }

    [Fact]
    public async Task WhenAManifestReadFailsOnce_ItIsReadAgain()
    {
        var bucket = await emulator.CreateBucketAsync("store-read-retry");
        await _kit.PublishAsync(bucket, "done", new TestData(1000, seed: 14), "--notify", "none");
        var location = new BroadcastLocation(bucket, "done");

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 14);
        var reads = 0;
        proxy.Plan = new FaultPlan
        {
            Error500 = 1,
            Eligible = r => r.Method == "GET" && r.Key.StartsWith("done/.", StringComparison.Ordinal) && Interlocked.Increment(ref reads) <= FailedRequestsPerAttempt,
        };
        using var aws = Connect(proxy);
        var store = new BroadcastStore(aws.S3, 2, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);

        var manifest = await store.TryReadManifestAsync(location, CancellationToken.None);
        var checksums = await store.TryOpenChecksumsAsync(location, CancellationToken.None);

        Assert.Equal(FailedRequestsPerAttempt, proxy.Counts.Injected(FaultKind.Error500));
        Assert.Equal(BroadcastState.Complete, manifest?.State);
        Assert.Equal(1L, checksums?.Count);
        Assert.Null(await store.TryReadManifestAsync(new BroadcastLocation(bucket, "missing"), CancellationToken.None));
    }

    private AwsConnection Connect(FaultProxy proxy) => AwsConnection.Open(new AwsSettings
    {
        EndpointUrl = proxy.Endpoint,
        Region = emulator.Region,
        AccessKey = EmulatorFixture.AccessKey,
        SecretKey = EmulatorFixture.SecretKey,
    });

    private static bool IsList(ProxiedRequest r) => r.Method == "GET" && r.Target.Contains("list-type=2", StringComparison.Ordinal);

    private static bool IsDelete(ProxiedRequest r) => r.Method == "POST" && r.Target.Contains("?delete", StringComparison.Ordinal);

    private static Func<int> CountLists(FaultProxy proxy)
    {
        var lists = 0;
        proxy.RequestSeen += r =>
        {
            if (IsList(r))
            {
                Interlocked.Increment(ref lists);
            }
        };
        return () => Volatile.Read(ref lists);
    }

    /// <summary>A broadcast written straight into the bucket: one-byte segments, a manifest and optionally a .checksums.</summary>
    private async Task PutBroadcastAsync(string bucket, string name, int segments, bool checksums = false)
    {
        await Parallel.ForEachAsync(Enumerable.Range(1, segments), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await _kit.PutBytesAsync(bucket, KeyLayout.SegmentKey(name, i), [(byte)'x']));
        if (checksums)
        {
            await _kit.PutTextAsync(bucket, KeyLayout.ChecksumsKey(name), "");
        }
        await _kit.PutTextAsync(bucket, KeyLayout.ManifestKey(name), string.Create(CultureInfo.InvariantCulture,
            $"[s3pipe2]\nversion = 0.1\nsegment_size = 1\ncompleted = true\nnum_segments = {segments}\ntotal_size = {segments}\n"));
    }
}
