using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Relay;

/// <summary>
/// <c>relay --sse/--sse-kms-key-id</c> into a destination bucket whose policy denies s3:PutObject without
/// <c>x-amz-server-side-encryption: aws:kms</c> and one key (<see cref="RequireSseRule"/>), encrypted with SSE-KMS by
/// default (<see cref="DefaultKmsEncryptionRule"/>: ETags that are not MD5s): without the options the relay is refused
/// with exit 4; with them every write carries the key and the copy reads back identical.
/// </summary>
[Collection("emulator-fleet")]
public sealed class RelayEncryptionTests(EmulatorFixture emulator)
{
    private const int SegmentBytes = 1024 * 1024;
    private const string BucketKey = "arn:aws:kms:us-east-1:000000000000:key/destination-default";
    private const string ChosenKey = "arn:aws:kms:us-east-1:000000000000:key/chosen-for-the-copy";
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task ARelayWithoutSse_IntoABucketWhosePolicyRequiresSseKms_ExitsWith4OnOneLineNamingTheDestination_AndAnnouncesNothing()
    {
        var data = new TestData(2L * SegmentBytes + 17, seed: 71);
        var (source, target) = await PublishSourceAsync("relay-sse-deny", "s", data);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71);
        var policy = proxy.Rules.Add(new RequireSseRule(target));
        proxy.Rules.Add(new CopyChecksumRule());

        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "s"), ScenarioKit.Url(target, "s"), "-t", "2");
        var code = await relay.WaitForExitAsync(ScenarioKit.ExitDeadline);

        Assert.True(code == 4, $"relay exit {code}, expected 4:\n{relay.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe);
        Assert.True(line.Contains(ScenarioKit.Url(target, "s"), StringComparison.Ordinal) && line.Contains("AccessDenied", StringComparison.Ordinal)
            && line.Contains("--sse", StringComparison.Ordinal), $"the line does not name the destination, the refusal and --sse: {line}");
        Assert.NotEmpty(policy.Checked);
        Assert.All(policy.Checked, c => Assert.True(c.Denied && c.Sse is null, $"{c}"));
        // Nothing was stored at the destination, so no copy was announced, complete or otherwise.
        Assert.Empty(await _kit.ListAsync(target, "s"));
    }

    [Fact]
    public async Task ARelayWithSseKmsAndAKey_IntoThatBucket_PutsTheKeyOnEveryCopyReplicaAndManifest_AndItsSubscriberGetsTheBytes()
    {
        var data = new TestData(3L * SegmentBytes + 4321, seed: 72);
        var (source, target) = await PublishSourceAsync("relay-sse-kms", "k", data);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 72);
        var policy = proxy.Rules.Add(new RequireSseRule(target) { RequiredKeyId = ChosenKey });
        var bucket = proxy.Rules.Add(new DefaultKmsEncryptionRule(target, BucketKey));

        await using var relay = StartRelay(proxy, ScenarioKit.Url(source, "k"), ScenarioKit.Url(target, "k"),
            "--replicas", "1", "--sse", "aws:kms", "--sse-kms-key-id", ChosenKey);
        await relay.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        await using (var subscriber = _kit.StartSubscriber([ScenarioKit.Url(target, "k")]))
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Length, subscriber.StdoutLength);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        }
        var manifest = await _kit.ReadManifestAsync(target, "k");
        Assert.Equal("complete", manifest["state"]);
        Assert.Equal(ScenarioKit.Url(source, "k"), manifest["relayed_from"]);

        // Every write to the destination asked for aws:kms with the chosen key, and none was refused: 4 segment copies,
        // 4 replica copies, the .checksums and the manifest (open, then complete).
        var writes = policy.Checked;
        Assert.All(writes, c => Assert.True(!c.Denied && c.Sse == "aws:kms" && c.KmsKeyId == ChosenKey, $"{c}"));
        Assert.Equal(8, writes.Count(c => c.Operation == "CopyObject"));
        Assert.Contains(writes, c => c.Operation == "PutObject" && c.Key == "k/.manifest");
        Assert.Contains(writes, c => c.Operation == "PutObject" && c.Key == "k/.checksums");
        var stored = (await _kit.ListAsync(target, "k")).Select(o => o.Key).ToList();
        Assert.Equal(10, stored.Count);
        Assert.All(stored, key => Assert.True(bucket.Written.GetValueOrDefault(key) == ChosenKey, $"{key} was written with {bucket.Written.GetValueOrDefault(key)}"));
    }

    [Fact]
    public async Task ARelayGivenAKmsKeyWithoutSseAwsKms_IsRefusedWithExit2BeforeReadingAnything()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 73);
        var seen = 0;
        proxy.RequestSeen += _ => Interlocked.Increment(ref seen);

        await using var relay = StartRelay(proxy, "s3://relay-sse-x/a", "s3://relay-sse-y/a", "--sse-kms-key-id", ChosenKey);

        Assert.Equal(2, await relay.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Contains("--sse-kms-key-id needs --sse aws:kms", ScenarioKit.AssertOneErrorLine(relay, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref seen));
    }

    private RunningProcess StartRelay(FaultProxy proxy, string from, string to, params string[] options) =>
        _kit.StartRelay(proxy, from, to, ["--notify", "none", .. options]);

    /// <summary>A broadcast of <paramref name="data"/> in 1 MiB segments at s3://SOURCE/<paramref name="name"/>, and an empty destination bucket.</summary>
    private async Task<(string Source, string Target)> PublishSourceAsync(string target, string name, TestData data)
    {
        var buckets = (await emulator.CreateBucketAsync(target + "-src"), await emulator.CreateBucketAsync(target));
        await _kit.PublishAsync(buckets.Item1, name, data, "-m", "1");
        return buckets;
    }
}
