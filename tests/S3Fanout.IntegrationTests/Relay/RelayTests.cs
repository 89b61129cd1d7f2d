using System.Collections.Concurrent;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Relay;

/// <summary>
/// <c>s3fanout-subscribe relay</c> against the emulator through the <see cref="FaultProxy"/>: the copy is a normal
/// broadcast followed live, relays chain, no segment byte passes through a relay, and a bad copy is never announced.
/// Each relay has a proxy of its own, so what it alone sent is counted there.
/// </summary>
[Collection("emulator-fleet")]
public sealed class RelayTests(EmulatorFixture emulator)
{
    private const int SegmentBytes = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task ASubscriberOfTheRelayedBroadcast_StartedBeforeTheSourceFinishes_GetsTheSameBytesLive()
    {
        var data = new TestData(5L * SegmentBytes + 4321, seed: 31);
        var (source, target) = (await emulator.CreateBucketAsync("relay-src"), await emulator.CreateBucketAsync("relay-dst"));
        await using var proxy = RelayProxy(out var reads, out var copies);
        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "live"), ScenarioKit.Url(target, "live"));
        await using var subscriber = _kit.StartSubscriber(["--wait", "60s", ScenarioKit.Url(target, "live")]);
        await using var publisher = _kit.StartPublisher(["-m", "1", "--flush-interval", "200ms", ScenarioKit.Url(source, "live")], stdinPipe: true);
        await using var input = data.OpenRead();

        await ScenarioKit.FeedAsync(publisher.StandardInput, input, 64 * 1024, TimeSpan.Zero, maxBytes: 2L * SegmentBytes + 100);
        // Live: the relayed copy reaches the subscriber while the publisher still holds the rest of the stream.
        await Poll.UntilAsync(() => subscriber.StdoutLength >= SegmentBytes, TimeSpan.FromSeconds(60), "the subscriber of the relayed copy to receive a segment");
        Assert.False(publisher.HasExited);
        var open = await _kit.ReadManifestAsync(target, "live");
        Assert.Equal("open", open["state"]);
        await ScenarioKit.FeedAsync(publisher.StandardInput, input, 64 * 1024, TimeSpan.Zero);
        publisher.StandardInput.Close();

        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        var relayed = await _kit.ReadManifestAsync(target, "live");
        var original = await _kit.ReadManifestAsync(source, "live");
        Assert.Equal("complete", relayed["state"]);
        Assert.Equal(data.Sha256, relayed["stream_sha256"]);
        Assert.Equal(original["stream_sha256"], relayed["stream_sha256"]);
        Assert.Equal(original["segment_size_bytes"], relayed["segment_size_bytes"]);
        Assert.Equal(ScenarioKit.Url(source, "live"), relayed["relayed_from"]);
        Assert.Equal(await _kit.TryReadTextAsync(source, "live/.checksums"), await _kit.TryReadTextAsync(target, "live/.checksums"));
        // One copy per segment (a pause in the feed seals a partial one after --flush-interval, so count them).
        Assert.Equal(ScenarioKit.Long(original, "num_segments"), copies.Copies);
        Assert.Equal(original["num_segments"], relayed["num_segments"]);
        Assert.True(reads.SegmentGets == 0, $"the relay read segments: {reads}");
    }

    [Fact]
    public async Task AChainOfThreeRelays_CopiesEverySegmentIdentically_AndNoRelayGetsASegmentByte()
    {
        var data = new TestData(4L * SegmentBytes + 77, seed: 32);
        var buckets = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            buckets.Add(await emulator.CreateBucketAsync($"chain{i}"));
        }
        var proxies = new List<FaultProxy>();
        var counters = new List<SegmentReadCounter>();
        var relays = new List<RunningProcess>();
        try
        {
            for (var i = 1; i < 4; i++)
            {
                proxies.Add(RelayProxy(out var reads, out _));
                counters.Add(reads);
                relays.Add(StartRelay(proxies[^1], ScenarioKit.Url(buckets[i - 1], "c"), ScenarioKit.Url(buckets[i], "c")));
            }
            await _kit.PublishAsync(buckets[0], "c", data, "-m", "1", "--flush-interval", "200ms");
            foreach (var relay in relays)
            {
                await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            }

            var checksums = await _kit.TryReadTextAsync(buckets[0], "c/.checksums");
            for (var i = 1; i < 4; i++)
            {
                var copy = new List<byte>();
                foreach (var segment in (await _kit.ListAsync(buckets[i], "c/0")).Select(o => o.Key))
                {
                    copy.AddRange(await _kit.ReadBytesAsync(buckets[i], segment));
                }
                Assert.Equal(data.Sha256, TestData.Sha256Hex(copy.ToArray()));
                var manifest = await _kit.ReadManifestAsync(buckets[i], "c");
                Assert.Equal(data.Sha256, manifest["stream_sha256"]);
                Assert.Equal(ScenarioKit.Url(buckets[i - 1], "c"), manifest["relayed_from"]);
                Assert.Equal(checksums, await _kit.TryReadTextAsync(buckets[i], "c/.checksums"));
                Assert.True(counters[i - 1].SegmentGets == 0 && counters[i - 1].SegmentBytes == 0, $"relay {i} read segments: {counters[i - 1]}");
                Assert.True(counters[i - 1].OtherGets > 0, $"relay {i} read no manifest: {counters[i - 1]}");
            }
            await using var last = _kit.StartSubscriber([ScenarioKit.Url(buckets[3], "c")]);
            await last.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Sha256, last.StdoutSha256);
        }
        finally
        {
            foreach (var relay in relays)
            {
                await relay.DisposeAsync();
            }
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ARelayWithReplicas_WritesThemFromItsCopies_AndASubscriberOfTheCopyReadsTheOneItsIdentityPicks()
    {
        var data = new TestData(3L * SegmentBytes + 5, seed: 38);
        var (source, target) = (await emulator.CreateBucketAsync("relay-rep-src"), await emulator.CreateBucketAsync("relay-rep-dst"));
        await using var proxy = RelayProxy(out var reads, out var copies);
        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "r"), ScenarioKit.Url(target, "r"), "--replicas", "2");
        await _kit.PublishAsync(source, "r", data, "-m", "1");
        await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        var keys = (await _kit.ListAsync(target, "r/.replica-")).Select(o => o.Key).ToList();
        Assert.Equal([.. Enumerable.Range(1, 2).SelectMany(r => Enumerable.Range(1, 4).Select(i => $"r/.replica-{r}/{i:D15}"))], keys);
        Assert.Equal(2, ScenarioKit.Long(await _kit.ReadManifestAsync(target, "r"), "replicas"));
        Assert.Equal(4 + 8, copies.Copies); // a copy of each segment, then two replicas of each copy, all server-side
        Assert.True(reads.SegmentGets == 0, $"the relay read segments: {reads}");

        await using var readerProxy = new FaultProxy(emulator.Endpoint, seed: 38);
        var readerGets = readerProxy.Rules.Add(new SegmentReadCounter());
        var identity = Enumerable.Range(1, 1000).Select(i => $"edge-{i}").First(id => S3Fanout.Shared.Protocol.ReplicaChoice.For(id, 2) == 2);
        await using var subscriber = _kit.StartSubscriber(["--endpoint-url", readerProxy.Endpoint.ToString(), "--identity", identity, ScenarioKit.Url(target, "r")]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Equal(data.Length, readerGets.Bytes(k => k.StartsWith($"{target}/r/.replica-2/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ACopyWhoseChecksumDoesNotMatch_FailsTheRelayWithExit7_AndIsNeverAnnounced()
    {
        var data = new TestData(3L * SegmentBytes, seed: 33);
        var (source, target) = (await emulator.CreateBucketAsync("relay-bad"), await emulator.CreateBucketAsync("relay-bad-dst"));
        await _kit.PublishAsync(source, "b", data, "-m", "1");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 33);
        var damage = proxy.Rules.Add(new CopyChecksumRule { Damage = true });

        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "b"), ScenarioKit.Url(target, "b"), "-t", "2", "-n", "1");
        var code = await relay.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.True(code == 7, $"relay exit {code}, expected 7:\n{relay.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe);
        Assert.Contains("segment 1", line, StringComparison.Ordinal);
        Assert.Contains("CRC64/NVME", line, StringComparison.Ordinal);
        Assert.Equal(2, damage.Damaged);
        var manifest = await _kit.ReadManifestAsync(target, "b");
        Assert.Equal("aborted", manifest["state"]);
        Assert.Equal("0", manifest["stored_segments"]);
        Assert.Null(await _kit.TryReadTextAsync(target, "b/.checksums"));
    }

    [Fact]
    public async Task WhenTheEndpointReturnsNoCopyChecksum_EachCopyIsVerifiedByDownload_AndADamagedOneIsCaught()
    {
        var data = new TestData(3L * SegmentBytes + 5, seed: 34);
        var source = await emulator.CreateBucketAsync("relay-fb");
        var target = await emulator.CreateBucketAsync("relay-fb-dst");
        await _kit.PublishAsync(source, "f", data, "-m", "1");

        await using var plain = new FaultProxy(emulator.Endpoint, seed: 34);
        var reads = plain.Rules.Add(new SegmentReadCounter());
        plain.Rules.Add(new CopyChecksumRule { Report = false });
        await using var relay = StartRelay(plain, ScenarioKit.Url(source, "f"), ScenarioKit.Url(target, "f"));
        await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(1, relay.Stderr.Split('\n').Count(l => l.Contains("returned no CRC-64/NVME for the copy", StringComparison.Ordinal)));
        Assert.Equal(4, reads.SegmentGets);
        Assert.Equal(data.Length, reads.SegmentBytes);
        await using (var subscriber = _kit.StartSubscriber([ScenarioKit.Url(target, "f")]))
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        }

        await using var damaging = new FaultProxy(emulator.Endpoint, seed: 35);
        damaging.Rules.Add(new CopyChecksumRule { Report = false, Damage = true });
        await using var second = StartRelay(damaging, ScenarioKit.Url(source, "f"), ScenarioKit.Url(target, "f2"), "-t", "2");
        var code = await second.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 7, $"relay exit {code}, expected 7:\n{second.StderrTail()}");
        Assert.Contains("the copy holds", ScenarioKit.AssertOneErrorLine(second, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal("aborted", (await _kit.ReadManifestAsync(target, "f2"))["state"]);
    }

    [Fact]
    public async Task ToAnotherEndpointAndRegion_CopyObjectIsSentThereSignedForThatRegion_AndTheSourceSeesNoCopy()
    {
        var data = new TestData(2L * SegmentBytes + 9, seed: 36);
        var (source, target) = (await emulator.CreateBucketAsync("relay-xr"), await emulator.CreateBucketAsync("relay-xr-dst"));
        await _kit.PublishAsync(source, "x", data, "-m", "1");
        await using var home = new FaultProxy(emulator.Endpoint, seed: 36);
        var homeReads = home.Rules.Add(new SegmentReadCounter());
        var homeCopies = home.Rules.Add(new CopyChecksumRule());
        await using var away = new FaultProxy(emulator.Endpoint, seed: 37);
        away.Rules.Add(new CopyChecksumRule());
        var scopes = new ConcurrentBag<string>();
        away.RequestSeen += r =>
        {
            if (r.Header("x-amz-copy-source") is not null)
            {
                scopes.Add(r.Header("Authorization") ?? "");
            }
        };

        await using var relay = _kit.StartSubscriber(["relay", "--endpoint-url", home.Endpoint.ToString(), "--to-endpoint-url", away.Endpoint.ToString(),
            "--to-region", "eu-west-1", "--notify", "none", ScenarioKit.Url(source, "x"), ScenarioKit.Url(target, "x")]);
        await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        Assert.Equal(3, scopes.Count);
        Assert.All(scopes, a => Assert.Contains("/eu-west-1/s3/aws4_request", a, StringComparison.Ordinal));
        Assert.Equal(0, homeCopies.Copies);
        Assert.Equal(0, homeReads.SegmentGets);
        Assert.True(homeReads.OtherGets > 0, $"the relay read nothing of the source: {homeReads}");
        var manifest = await _kit.ReadManifestAsync(target, "x");
        Assert.Equal(ScenarioKit.Url(source, "x"), manifest["relayed_from"]);
        Assert.Equal(data.Sha256, manifest["stream_sha256"]);
    }

    [Fact]
    public async Task AnAbortedSource_AbortsTheRelayedCopy_WithExit8()
    {
        var data = new TestData(8L * SegmentBytes, seed: 38);
        var (source, target) = (await emulator.CreateBucketAsync("relay-ab"), await emulator.CreateBucketAsync("relay-ab-dst"));
        await using var proxy = RelayProxy(out var reads, out _);
        var heads = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Method == "HEAD" && r.Key.StartsWith("a/0", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref heads);
            }
        };
        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "a"), ScenarioKit.Url(target, "a"));
        // --notify none: the relay learns of segments from the open manifest only, so it reads each one's CRC with a HEAD.
        await using var publisher = _kit.StartPublisher(["-m", "1", "--notify", "none", "--flush-interval", "200ms", ScenarioKit.Url(source, "a")], stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 64 * 1024, TimeSpan.Zero, maxBytes: 2L * SegmentBytes + 10);
        await _kit.WaitForManifestAsync(target, "a", m => ScenarioKit.NumSegments(m) >= 1, "a relayed segment");

        publisher.Kill(ProcessSignal.Term);
        Assert.Equal(143, await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var code = await relay.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.True(code == 8, $"relay exit {code}, expected 8:\n{relay.StderrTail()}");
        Assert.Contains("aborted", ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe), StringComparison.Ordinal);
        var manifest = await _kit.ReadManifestAsync(target, "a");
        Assert.Equal("aborted", manifest["state"]);
        Assert.Contains("aborted", manifest["abort_reason"], StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref heads) >= 1, "the relay read no segment's metadata");
        Assert.True(reads.SegmentGets == 0, $"the relay read segments: {reads}");
    }

    [Fact]
    public async Task AnotherWritersSegmentAtTheDestination_IsLeftAlone_AndTheRelayStopsWithExit3()
    {
        var data = new TestData(3L * SegmentBytes, seed: 39);
        var (source, target) = (await emulator.CreateBucketAsync("relay-cw"), await emulator.CreateBucketAsync("relay-cw-dst"));
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 39);
        proxy.Rules.Add(new ConditionalWritesRule());
        proxy.Rules.Add(new CopyChecksumRule());
        var listed = 0;
        proxy.RequestSeen += r =>
        {
            // The relay reads the source's manifest only once it found its destination free.
            if (r.Method == "GET" && r.Target.StartsWith("/" + source + "/w/.manifest", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref listed);
            }
        };
        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "w"), ScenarioKit.Url(target, "w"));
        // After the relay found the destination free: another writer stores segment 2 there.
        await Poll.UntilAsync(() => Volatile.Read(ref listed) > 0, TimeSpan.FromSeconds(30), "the relay to look for its source");
        var foreign = new TestData(SegmentBytes, seed: 390).ToArray();
        await _kit.PutBytesAsync(target, "w/000000000000002", foreign);

        await _kit.PublishAsync(source, "w", data, "-m", "1");
        var code = await relay.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.True(code == 3, $"relay exit {code}, expected 3:\n{relay.StderrTail()}");
        Assert.Contains("another writer", ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(foreign, await _kit.ReadBytesAsync(target, "w/000000000000002"));
        Assert.Equal("aborted", (await _kit.ReadManifestAsync(target, "w"))["state"]);
    }

    [Fact]
    public async Task ADestinationThatHoldsABroadcast_IsRefusedWithExit3_BeforeAnythingIsWritten()
    {
        var data = new TestData(SegmentBytes / 2, seed: 40);
        var bucket = await emulator.CreateBucketAsync("relay-used");
        await _kit.PublishAsync(bucket, "src", data);
        await _kit.PublishAsync(bucket, "used", new TestData(100, seed: 41));
        var before = await _kit.TryReadTextAsync(bucket, "used/.manifest");
        await using var proxy = RelayProxy(out _, out var copies);

        await using var relay = StartRelay(proxy, ScenarioKit.Url(bucket, "src"), ScenarioKit.Url(bucket, "used"));

        Assert.Equal(3, await relay.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Contains("already holds a broadcast", ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(0, copies.Copies);
        Assert.Equal(before, await _kit.TryReadTextAsync(bucket, "used/.manifest"));
    }

    /// <summary>A proxy of one relay's own, behaving as S3 does for copies, counting the segment bytes it is sent.</summary>
    private FaultProxy RelayProxy(out SegmentReadCounter reads, out CopyChecksumRule copies)
    {
        var proxy = new FaultProxy(emulator.Endpoint, seed: 30);
        reads = proxy.Rules.Add(new SegmentReadCounter());
        copies = proxy.Rules.Add(new CopyChecksumRule());
        return proxy;
    }

    private RunningProcess StartRelay(FaultProxy proxy, string from, string to, params string[] options) => _kit.StartRelay(proxy, from, to, options);
}
