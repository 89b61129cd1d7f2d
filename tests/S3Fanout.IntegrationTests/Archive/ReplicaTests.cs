using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Archive;

/// <summary>
/// <c>s3fanout-publish --replicas K</c>: each segment also under <c>NAME/.replica-k/</c>, read by the subscribers whose
/// identity picks it, with the primary as fallback; <c>ls</c>, <c>verify</c> and <c>rm</c> know the replicas.
/// </summary>
[Collection("emulator")]
public sealed partial class ReplicaTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Subscribers_with_different_identities_read_different_replicas_and_all_copies_are_byte_identical()
    {
        var bucket = await emulator.CreateBucketAsync("replicas-spread");
        var data = new TestData((3L * MiB) + 777, seed: 131);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1", "--replicas", "3", "--notify", "none");

        // The primary layout is s3pipe2's exactly; the replicas sit in dot-folders, so `cat 0*` of a synced copy is the stream.
        var keys = (await _kit.ListAsync(bucket, "stream/")).Select(o => o.Key).ToList();
        Assert.Equal(["stream/.checksums", "stream/.manifest", "stream/000000000000001", "stream/000000000000002", "stream/000000000000003", "stream/000000000000004"],
            keys.Where(k => !k.StartsWith("stream/.replica-", StringComparison.Ordinal)));
        Assert.Equal([.. Enumerable.Range(1, 3).SelectMany(r => Enumerable.Range(1, 4).Select(i => $"stream/.replica-{r}/{i:D15}"))],
            keys.Where(k => k.StartsWith("stream/.replica-", StringComparison.Ordinal)));
        Assert.Equal(3, ScenarioKit.Long(await _kit.ReadManifestAsync(bucket, "stream"), "replicas"));

        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var gets = CountSegmentGets(proxy);
        // One identity for each of the four copies (the primary and three replicas).
        var identities = Enumerable.Range(0, 4).Select(copy => Enumerable.Range(1, 1000).Select(i => $"mirror-{i}").First(id => ReplicaChoice.For(id, 3) == copy)).ToList();
        var subscribers = identities.Select(id => _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--identity", id, $"s3://{bucket}/stream"))).ToList();
        foreach (var s in subscribers)
        {
            await using (s)
            {
                await s.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                Assert.Equal(data.Sha256, s.StdoutSha256);
            }
        }

        output.WriteLine($"segment GETs per copy: {string.Join(", ", gets.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}");
        Assert.Equal([0, 1, 2, 3], gets.Keys.Order());
        Assert.All(gets.Values, n => Assert.Equal(4, n));

        var (ls, table) = await RunAsync(["ls", $"s3://{bucket}/"]);
        await using (ls)
        {
            var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal("REPLICAS", rows[0][^1]);
            Assert.Equal("3", rows[1][^1]);
        }
        var (lsJson, json) = await RunAsync(["ls", "--json", $"s3://{bucket}/"]);
        await using (lsJson)
        {
            using var doc = JsonDocument.Parse(json);
            Assert.Equal(3, doc.RootElement[0].GetProperty("replicas").GetInt32());
        }
        var (info, infoText) = await RunAsync(["info", $"s3://{bucket}/stream"]);
        await using (info)
        {
            Assert.Contains("replicas:", infoText, StringComparison.Ordinal);
            Assert.Contains("3 read replicas of every segment (stream/.replica-1/ … stream/.replica-3/)", infoText, StringComparison.Ordinal);
        }
        var (infoJson, infoJsonText) = await RunAsync(["info", "--json", $"s3://{bucket}/stream"]);
        await using (infoJson)
        {
            using var doc = JsonDocument.Parse(infoJsonText);
            Assert.Equal(3, doc.RootElement.GetProperty("replicas").GetInt32());
        }
    }

    [Fact]
    public async Task A_replica_deleted_mid_broadcast_is_read_from_the_primary_and_the_subscriber_does_not_fail()
    {
        var bucket = await emulator.CreateBucketAsync("replicas-gone");
        var data = new TestData(3L * MiB, seed: 132);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new DeleteBeforeRead(".replica-1/"));
        var gets = CountSegmentGets(proxy);
        var identity = Enumerable.Range(1, 1000).Select(i => $"mirror-{i}").First(id => ReplicaChoice.For(id, 2) == 1);
        var kit = new ReliabilityKit(emulator);

        await using var run = await kit.RunFanOutAsync(proxy, $"s3://{bucket}/live", data, 1, TimeSpan.FromSeconds(90),
            ["-m", "1", "--replicas", "2", "-t", "1"], ["--identity", identity, "-t", "1", "-v"]);

        output.WriteLine($"{run.Codes}; segment GETs per copy: {string.Join(", ", gets.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}");
        run.AssertAllByteIdentical(data, "replica 1 deleted");
        Assert.True(gets.GetValueOrDefault(1) >= 3, "the subscriber looked for its replica first");
        Assert.True(gets.GetValueOrDefault(0) >= 3, "and then read every segment from the primary");
        Assert.Equal(0, gets.GetValueOrDefault(2));
        Assert.Contains("reading the primary", run.Subscribers[0].Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_checks_every_replica_and_names_a_damaged_one_and_rm_leaves_nothing()
    {
        var bucket = await emulator.CreateBucketAsync("replicas-verify");
        var data = new TestData((2L * MiB) + 99, seed: 133);
        await _kit.PublishAsync(bucket, "kept", data, "-m", "1", "--replicas", "2", "--notify", "none");

        var (ok, okText) = await RunAsync(["verify", $"s3://{bucket}/kept"]);
        await using (ok)
        {
            Assert.StartsWith("OK ", okText, StringComparison.Ordinal);
            Assert.Contains("2 replica(s) of each checked", okText, StringComparison.Ordinal);
        }

        var damaged = "kept/.replica-2/000000000000002";
        var original = await _kit.ReadBytesAsync(bucket, damaged);
        await _kit.PutBytesAsync(bucket, damaged, new TestData(original.Length, seed: 666).ToArray());
        await using (var verify = _kit.StartSubscriber(["verify", $"s3://{bucket}/kept"]))
        {
            Assert.Equal(7, await verify.WaitForExitAsync(ScenarioKit.ExitDeadline));
            Assert.Contains($"BAD segment 2 (s3://{bucket}/{damaged}): replica 2:", verify.StdoutText, StringComparison.Ordinal);
            Assert.DoesNotContain("kept/000000000000002", verify.StdoutText, StringComparison.Ordinal);
            ScenarioKit.AssertOneErrorLine(verify, "s3fanout-subscribe");
        }

        var (rm, rmText) = await RunAsync(["rm", "--yes", $"s3://{bucket}/kept"]);
        await using (rm)
        {
            Assert.Contains("deleted", rmText, StringComparison.Ordinal);
        }
        Assert.Empty(await _kit.ListAsync(bucket, ""));
    }

    /// <summary>Segment GETs through <paramref name="proxy"/> by copy: 0 the primary, k replica k.</summary>
    private static ConcurrentDictionary<int, int> CountSegmentGets(FaultProxy proxy)
    {
        var gets = new ConcurrentDictionary<int, int>();
        proxy.RequestSeen += r =>
        {
            if (r.Service == AwsService.S3 && r.Method == "GET" && CopyOf(r.Key) is { } copy)
            {
                gets.AddOrUpdate(copy, 1, (_, n) => n + 1);
            }
        };
        return gets;
    }

    /// <summary>0 for a primary segment key of any broadcast, k for replica k, null for anything else.</summary>
    private static int? CopyOf(string key)
    {
        var m = SegmentKey().Match(key);
        return !m.Success ? null : m.Groups[1].Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"/(?:\.replica-(\d+)/)?\d{15}$")]
    private static partial Regex SegmentKey();

    private async Task<(RunningProcess Process, string Stdout)> RunAsync(string[] args)
    {
        var process = _kit.StartSubscriber(args);
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 0, $"{process.CommandLine} exited {code}:\n{process.StderrTail()}");
        return (process, process.StdoutText);
    }

    /// <summary>Not an AWS behaviour: deletes an object just before a GET of it goes through, as if it was deleted (or expired) mid-broadcast.</summary>
    private sealed class DeleteBeforeRead(string keyPart) : AwsRule
    {
        public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
        {
            if (request.Service == AwsService.S3 && request.Operation == "GET" && request.Key.Contains(keyPart, StringComparison.Ordinal))
            {
                await request.AskUpstreamAsync("DELETE", request.Request.Target.Split('?', 2)[0]);
            }
            return null;
        }
    }
}
