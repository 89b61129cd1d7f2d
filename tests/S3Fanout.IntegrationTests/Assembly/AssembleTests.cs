using Amazon.S3.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Assembly;

/// <summary>
/// <c>s3fanout-subscribe assemble</c> on broadcasts the real publisher left in the emulator, through the rules layer:
/// S3's multipart part sizes (<see cref="MultipartPartSizeRule"/>) and full-object CRC-64/NVME answers
/// (<see cref="FullObjectChecksumRule"/>), with every GET counted (<see cref="GetBytesCounter"/>).
/// </summary>
[Collection("emulator")]
public sealed class AssembleTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenABroadcastHasAFlushedPartialFullSegmentsAndAShortTail_ItIsAssembledMostlyServerSide()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-mixed");
        var archive = await emulator.CreateBucketAsync("assemble-mixed-dest");
        // fauxqs 2.4.1 takes request bodies up to 11 MiB, so segments stay at 10 MiB.
        var data = new TestData((24L * MiB) - 12345, seed: 1401);
        var sizes = await PublishWithPartialFirstAsync(bucket, "mixed", data, firstBytes: MiB, segmentMiB: 10);
        Assert.Equal([MiB, 10L * MiB, 10L * MiB, (3L * MiB) - 12345], sizes);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1401);
        var parts = proxy.Rules.Add(new MultipartPartSizeRule());
        var checksums = proxy.Rules.Add(new FullObjectChecksumRule());
        var downloads = proxy.Rules.Add(new GetBytesCounter());

        var (_, text) = await AssembleAsync(proxy, $"s3://{bucket}/mixed", $"s3://{archive}/mixed.bin");

        // Only the flushed 1 MiB segment and the 4 MiB that pad it to a part were downloaded.
        Assert.Equal(5L * MiB, downloads.Bytes(k => k.StartsWith($"{bucket}/mixed/0", StringComparison.Ordinal)));
        var upload = Assert.Single(parts.Completed);
        Assert.Equal([5L * MiB, 6L * MiB, 10L * MiB, (3L * MiB) - 12345], upload.PartBytes);
        Assert.Equal(0, proxy.Rules.Refusals("EntityTooSmall"));
        Assert.Contains("verified by full-object-crc", text, StringComparison.Ordinal);
        Assert.Empty(checksums.OpenUploads);
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(archive, "mixed.bin"));
    }

    /// <summary>Publishes <paramref name="firstBytes"/>, waits for the flush to store them as segment 1, then the rest.</summary>
    private async Task<IReadOnlyList<long>> PublishWithPartialFirstAsync(string bucket, string name, TestData data, int firstBytes, int segmentMiB)
    {
        await using var publisher = _kit.StartPublisher(["-m", segmentMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--flush-interval", "3s", "--notify", "none", ScenarioKit.Url(bucket, name)], stdinPipe: true);
        await using (var source = data.OpenRead())
        {
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, firstBytes, TimeSpan.Zero, maxBytes: firstBytes);
            await _kit.WaitForManifestAsync(bucket, name, m => m.TryGetValue("stored_segments", out var n) && n == "1", "segment 1 stored");
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, MiB, TimeSpan.Zero);
        }
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        var listed = await emulator.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = name + "/0" });
        return [.. listed.S3Objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Size ?? 0)];
    }

    private async Task<(int Code, string Stdout)> AssembleAsync(FaultProxy? proxy, params string[] args)
    {
        string[] endpoint = proxy is null ? [] : ["--endpoint-url", proxy.Endpoint.ToString()];
        await using var process = _kit.StartSubscriber(["assemble", .. endpoint, .. args]);
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        ScenarioKit.AssertNoStackTrace(process.Stderr, process.CommandLine);
        Assert.True(code == 0, $"{process.CommandLine} exited {code}:\n{process.StderrTail()}");
        return (code, process.StdoutText);
    }

    private async Task<string> Sha256OfObjectAsync(string bucket, string key)
    {
        using var response = await emulator.S3.GetObjectAsync(bucket, key);
        return TestData.Sha256Hex(response.ResponseStream);
    }
}
