using System.Globalization;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// A broadcast exists at NAME when it has a .manifest, a .checksums or segment keys there. <c>--force</c> replaces
/// exactly those keys (what <c>rm</c> deletes); nested broadcasts (NAME/sub/…) and other objects under NAME/ are
/// neither a reason to refuse nor deleted.
/// </summary>
[Collection("emulator")]
public sealed class PublishForceTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenForceReplacesABroadcast_NestedBroadcastIsKept()
    {
        var bucket = await emulator.CreateBucketAsync("force-nested");
        var nested = new TestData(1500, seed: 41);
        var replacement = new TestData(MiB / 2, seed: 43);
        await _kit.PublishAsync(bucket, "a", new TestData(3L * MiB + 1, seed: 42), "-m", "1", "--notify", "none");
        await _kit.PublishAsync(bucket, "a/b", nested, "--notify", "none");
        await _kit.PutTextAsync(bucket, "a/notes.txt", "not part of any broadcast");
        var before = await _kit.ListAsync(bucket, "a/b/");

        await _kit.PublishAsync(bucket, "a", replacement, "--force", "-m", "1", "--notify", "none");

        Assert.Equal(before.Select(o => (o.Key, o.ETag)), (await _kit.ListAsync(bucket, "a/b/")).Select(o => (o.Key, o.ETag)));
        Assert.Equal("not part of any broadcast", await _kit.TryReadTextAsync(bucket, "a/notes.txt"));
        // The four old segments are gone, not only overwritten: the replacement has one.
        Assert.Equal(["a/000000000000001"], (await _kit.ListAsync(bucket, "a/0")).Select(o => o.Key));
        await AssertSubscribesToAsync(bucket, "a/b", nested);
        await AssertSubscribesToAsync(bucket, "a", replacement);
    }

    [Fact]
    public async Task WhenThePrefixHoldsOnlyNestedBroadcastsAndOtherObjects_PublishNeedsNoForceAndKeepsThem()
    {
        var bucket = await emulator.CreateBucketAsync("force-not-needed");
        var nested = new TestData(1500, seed: 44);
        var parent = new TestData(2000, seed: 45);
        await _kit.PublishAsync(bucket, "a/b", nested, "--notify", "none");
        await _kit.PutTextAsync(bucket, "a/readme", "someone else's object");

        await _kit.PublishAsync(bucket, "a", parent, "--notify", "none");

        Assert.Equal("someone else's object", await _kit.TryReadTextAsync(bucket, "a/readme"));
        await AssertSubscribesToAsync(bucket, "a/b", nested);
        await AssertSubscribesToAsync(bucket, "a", parent);
    }

    [Theory]
    [InlineData(".manifest")]
    [InlineData(".checksums")]
    [InlineData("000000000000003")]
    public async Task WhenAnyOwnKeyOfABroadcastIsThere_PublishWithoutForceIsRefusedAndChangesNothing(string ownKey)
    {
        var bucket = await emulator.CreateBucketAsync("force-refused");
        await _kit.PutTextAsync(bucket, $"a/{ownKey}", "left behind");
        await _kit.PutTextAsync(bucket, "a/b/.manifest", "a nested broadcast's");

        await using (var refused = _kit.StartPublisher(["--notify", "none", ScenarioKit.Url(bucket, "a")], stdin: new TestData(10, seed: 46).OpenRead()))
        {
            Assert.Equal(3, await refused.WaitForExitAsync(ScenarioKit.ExitDeadline));
            var line = ScenarioKit.AssertOneErrorLine(refused, ScenarioKit.Publish);
            Assert.Contains($"already holds a broadcast (for example a/{ownKey})", line, StringComparison.Ordinal);
            Assert.Contains("--force", line, StringComparison.Ordinal);
        }
        Assert.Equal(["a/" + ownKey, "a/b/.manifest"], (await _kit.ListAsync(bucket, "a/")).Select(o => o.Key).Order(StringComparer.Ordinal));
    }

    private async Task AssertSubscribesToAsync(string bucket, string name, TestData expected)
    {
        await using var subscriber = _kit.StartSubscriber(["--notify", "none", ScenarioKit.Url(bucket, name)]);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.True(expected.Sha256 == subscriber.StdoutSha256,
            string.Create(CultureInfo.InvariantCulture, $"s3://{bucket}/{name}: {subscriber.StdoutLength} bytes, expected {expected.Length} bytes of the original"));
    }
}
