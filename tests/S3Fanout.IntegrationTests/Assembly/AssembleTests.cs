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
/// (<see cref="FullObjectChecksumRule"/>), with every GET counted (<see cref="SegmentReadCounter"/>).
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
        var downloads = proxy.Rules.Add(new SegmentReadCounter());

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

    [Fact]
    public async Task WhenTheBroadcastIsEmpty_AnEmptyObjectIsWritten()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-empty");
        await _kit.PublishAsync(bucket, "empty", new TestData(0, seed: 1402), "--notify", "none");

        var (_, text) = await AssembleAsync(null, $"s3://{bucket}/empty", $"s3://{bucket}/empty.bin");

        var head = await emulator.S3.GetObjectMetadataAsync(bucket, "empty.bin");
        Assert.Equal(0, head.ContentLength);
        Assert.Contains("0 bytes in 0 parts", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheBroadcastIsOneSegment_ItIsCopiedWholeAndNothingIsDownloaded()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-one");
        var data = new TestData(1000, seed: 1403);
        await _kit.PublishAsync(bucket, "one", data, "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1403);
        proxy.Rules.Add(new FullObjectChecksumRule());
        var downloads = proxy.Rules.Add(new SegmentReadCounter());

        var (_, text) = await AssembleAsync(proxy, $"s3://{bucket}/one", $"s3://{bucket}/one.bin");

        Assert.Equal(0, downloads.Bytes(k => k.StartsWith($"{bucket}/one/0", StringComparison.Ordinal)));
        Assert.Contains("in 1 parts (1 copied by S3, 0 bytes downloaded)", text, StringComparison.Ordinal);
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "one.bin"));
    }

    [Fact]
    public async Task WhenTheBroadcastHas10001Segments_ItIsAssembledWithinThePartLimit()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-many");
        var archive = SyntheticArchive.Of(10_001);
        await archive.WriteAsync(emulator.S3, bucket, "many", parallel: 16, CancellationToken.None);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1404);
        var parts = proxy.Rules.Add(new MultipartPartSizeRule());

        await AssembleAsync(proxy, "-n", "8", $"s3://{bucket}/many", $"s3://{bucket}/many.bin");

        var upload = Assert.Single(parts.Completed);
        Assert.Equal([archive.Bytes], upload.PartBytes); // 10,001 segments of 1-8 bytes: one (last) part
        Assert.Equal(archive.StreamSha256, await Sha256OfObjectAsync(bucket, "many.bin"));
    }

    [Fact]
    public async Task WhenASegmentWasReplaced_TheCopiedPartsCrcCatchesItAndTheUploadIsAbortedBeforeCompletion()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-corrupt");
        await _kit.PublishAsync(bucket, "corrupt", new TestData((13L * MiB) + 7, seed: 1405), "-m", "6", "--notify", "none");
        await _kit.OverwriteSegmentAsync(bucket, "corrupt", 2);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1405);
        var checksums = proxy.Rules.Add(new FullObjectChecksumRule());

        var (code, stderr) = await AssembleFailingAsync(proxy, $"s3://{bucket}/corrupt", $"s3://{bucket}/corrupt.bin");

        Assert.Equal(7, code);
        Assert.True(stderr.Contains("segment 2 (corrupt/000000000000002) does not match its recorded CRC-64/NVME", StringComparison.Ordinal), stderr);
        Assert.True(stderr.Contains("Aborted the multipart upload", StringComparison.Ordinal), stderr);
        Assert.Single(checksums.Aborted);
        Assert.Empty(checksums.OpenUploads);
        Assert.Null(await _kit.TryReadTextAsync(bucket, "corrupt.bin"));
    }

    [Fact]
    public async Task WhenTheEndpointReturnsNoPartChecksums_TheResultIsCheckedByDownloadAndAWrongOneIsDeleted()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-nocrc");
        var data = new TestData((13L * MiB) + 9, seed: 1406);
        await _kit.PublishAsync(bucket, "good", data, "-m", "6", "--notify", "none");
        await _kit.PublishAsync(bucket, "bad", data, "-m", "6", "--notify", "none");
        await _kit.OverwriteSegmentAsync(bucket, "bad", 1);

        var (_, text) = await AssembleAsync(null, $"s3://{bucket}/good", $"s3://{bucket}/good.bin");
        Assert.Contains("verified by download", text, StringComparison.Ordinal);
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "good.bin"));

        var (code, stderr) = await AssembleFailingAsync(null, $"s3://{bucket}/bad", $"s3://{bucket}/bad.bin");
        Assert.Equal(7, code);
        Assert.Contains("was not the broadcast", stderr, StringComparison.Ordinal);
        Assert.Contains("it was deleted", stderr, StringComparison.Ordinal);
        Assert.Null(await _kit.TryReadTextAsync(bucket, "bad.bin"));
    }

    [Fact]
    public async Task WhenTheDestinationExists_ItIsRefusedWithExit3UnlessForce()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-exists");
        var data = new TestData(5000, seed: 1407);
        await _kit.PublishAsync(bucket, "b", data, "--notify", "none");
        await _kit.PutTextAsync(bucket, "taken.bin", "someone else's");

        var (code, stderr) = await AssembleFailingAsync(null, $"s3://{bucket}/b", $"s3://{bucket}/taken.bin");
        Assert.Equal(3, code);
        Assert.Contains($"s3://{bucket}/taken.bin already exists; give --force to replace it", stderr, StringComparison.Ordinal);
        Assert.Equal("someone else's", await _kit.TryReadTextAsync(bucket, "taken.bin"));

        await AssembleAsync(null, "--force", $"s3://{bucket}/b", $"s3://{bucket}/taken.bin");
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "taken.bin"));
    }

    [Fact]
    public async Task WhenTwoAssemblersRace_TheConditionalCompletionLetsOnlyOneWrite()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-race");
        await _kit.PublishAsync(bucket, "b", new TestData(3000, seed: 1408), "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1408);
        // The early check passes; the other writer's object appears just before the completion, which S3 then refuses.
        proxy.Rules.Add(new PutBeforeCompleteRule(bucket, "raced.bin"));
        proxy.Rules.Add(new ConditionalWritesRule());

        var (code, stderr) = await AssembleFailingAsync(proxy, $"s3://{bucket}/b", $"s3://{bucket}/raced.bin");

        Assert.Equal(3, code);
        Assert.Contains("already exists", stderr, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Rules.Refusals("PreconditionFailed"));
        Assert.Equal("the other writer's", await _kit.TryReadTextAsync(bucket, "raced.bin"));
    }

    [Fact]
    public async Task WhenTheBroadcastIsOpen_ItIsRefusedWithExit8_AndWithWaitItIsAssembledOnceComplete()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-open");
        var data = new TestData(3L * MiB, seed: 1409);
        await using var publisher = _kit.StartPublisher(["-m", "1", "--notify", "none", ScenarioKit.Url(bucket, "live")], stdinPipe: true);
        await using var source = data.OpenRead();
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, MiB, TimeSpan.Zero, maxBytes: 2L * MiB);
        await _kit.WaitForManifestAsync(bucket, "live", m => m.TryGetValue("stored_segments", out var n) && n == "2", "two segments stored");

        var (code, stderr) = await AssembleFailingAsync(null, $"s3://{bucket}/live", $"s3://{bucket}/live.bin");
        Assert.Equal(8, code);
        Assert.Contains("is still open; give --wait DURATION", stderr, StringComparison.Ordinal);

        await using var waiting = _kit.StartSubscriber(["assemble", "--wait", "60s", $"s3://{bucket}/live", $"s3://{bucket}/live.bin"]);
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, MiB, TimeSpan.Zero);
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await waiting.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "live.bin"));
    }

    [Fact]
    public async Task WhenTheSourceIsAnS3pipe2Archive_EverySegmentIsCheckedByItsMd5AndTheObjectIsAssembled()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-legacy");
        var data = new TestData(2_500_000, seed: 1410);
        for (var i = 1; i <= 3; i++)
        {
            var offset = (i - 1) * 1_000_000L;
            await _kit.PutBytesAsync(bucket, $"old/{i:D15}", data.Slice(offset, (int)Math.Min(1_000_000, data.Length - offset)));
        }
        await _kit.PutTextAsync(bucket, "old/.manifest",
            "[s3pipe2]\nversion = 0.1\nsegment_size = 1\nupload_began = 2019-03-14T15:09:26.535897\ncompleted = true\nnum_segments = 3\n"
            + "total_size = 2500000\nupload_ended = 2019-03-14T15:09:31.979323\n\n");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1410);
        var downloads = proxy.Rules.Add(new SegmentReadCounter());

        await AssembleAsync(proxy, $"s3://{bucket}/old", $"s3://{bucket}/old.bin");

        // Each segment once, to check its MD5 and take its CRC; the parts are then built from what S3 holds.
        Assert.True(downloads.Bytes(k => k.StartsWith($"{bucket}/old/0", StringComparison.Ordinal)) >= data.Length);
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "old.bin"));
    }

    [Fact]
    public async Task WhenAssembled_AwsCliReadsTheObjectAsTheStream()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-awscli");
        var data = new TestData((7L * MiB) + 3, seed: 1411);
        await _kit.PublishAsync(bucket, "b", data, "-m", "6", "--notify", "none");
        await AssembleAsync(null, "--verify-download", $"s3://{bucket}/b", $"s3://{bucket}/b.bin");

        Assert.True(File.Exists(AwsCli.Path), $"{AwsCli.Path} is missing: scripts/test installs Debian's awscli package");
        var (code, sha256, stderr) = await AwsCli.CatSha256Async(emulator, $"s3://{bucket}/b.bin");

        Assert.True(code == 0, stderr);
        Assert.Equal(data.Sha256, sha256);
    }

    [Fact]
    public async Task VerifyAgainst_ChecksAnAssembledObjectByS3sChecksumOrByDownload_AndCatchesAReplacedOne()
    {
        var bucket = await emulator.CreateBucketAsync("assemble-verify");
        var data = new TestData((7L * MiB) + 5, seed: 1412);
        await _kit.PublishAsync(bucket, "b", data, "-m", "6", "--notify", "none");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1412);
        proxy.Rules.Add(new FullObjectChecksumRule());
        var downloads = proxy.Rules.Add(new SegmentReadCounter());
        await AssembleAsync(proxy, $"s3://{bucket}/b", $"s3://{bucket}/b.bin");

        var bySum = await VerifyAsync(proxy, $"s3://{bucket}/b.bin", "--against", $"s3://{bucket}/b");
        Assert.Equal(0, bySum.Code);
        Assert.Contains("verified by full-object-crc", bySum.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, downloads.Bytes(k => k == $"{bucket}/b.bin"));

        var byDownload = await VerifyAsync(null, $"s3://{bucket}/b.bin", "--against", $"s3://{bucket}/b");
        Assert.Equal(0, byDownload.Code);
        Assert.Contains("verified by download", byDownload.Stdout, StringComparison.Ordinal);

        await _kit.PutBytesAsync(bucket, "b.bin", new TestData(data.Length, seed: 9999).ToArray());
        var replaced = await VerifyAsync(null, $"s3://{bucket}/b.bin", "--against", $"s3://{bucket}/b");
        Assert.Equal(7, replaced.Code);
        Assert.Contains("is not the broadcast", replaced.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAssembledObjectKeepsTheBroadcastsKmsKey_UnderAPolicyThatRequiresIt_AndSseOverridesIt()
    {
        const string ChosenKey = "arn:aws:kms:us-east-1:000000000000:key/assemble-chosen";
        var bucket = await emulator.CreateBucketAsync("assemble-kms");
        var data = new TestData((7L * MiB) + 1, seed: 1413);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1413);
        proxy.Rules.Add(new RequireSseRule(bucket) { RequiredKeyId = ChosenKey });
        var kms = proxy.Rules.Add(new DefaultKmsEncryptionRule(bucket));
        await using (var publisher = _kit.StartPublisher(["--endpoint-url", proxy.Endpoint.ToString(), "-m", "6", "--notify", "none",
            "--sse", "aws:kms", "--sse-kms-key-id", ChosenKey, ScenarioKit.Url(bucket, "b")], stdin: data.OpenRead()))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        }

        await AssembleAsync(proxy, $"s3://{bucket}/b", $"s3://{bucket}/b.bin");

        Assert.Equal(ChosenKey, kms.Written["b.bin"]);
        Assert.Equal(0, proxy.Rules.Refusals("AccessDenied"));
        Assert.Equal(data.Sha256, await Sha256OfObjectAsync(bucket, "b.bin"));

        var (code, stderr) = await AssembleFailingAsync(proxy, "--sse", "AES256", $"s3://{bucket}/b", $"s3://{bucket}/aes.bin");
        Assert.Equal(4, code); // the bucket policy refuses any other encryption: --sse was applied
        Assert.Contains("AccessDenied", stderr, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Stdout, string Stderr)> VerifyAsync(FaultProxy? proxy, params string[] args)
    {
        string[] endpoint = proxy is null ? [] : ["--endpoint-url", proxy.Endpoint.ToString()];
        await using var process = _kit.StartSubscriber(["verify", .. endpoint, .. args]);
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        ScenarioKit.AssertNoStackTrace(process.Stderr, process.CommandLine);
        return (code, process.StdoutText, process.Stderr);
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

    private async Task<(int Code, string Stderr)> AssembleFailingAsync(FaultProxy? proxy, params string[] args)
    {
        string[] endpoint = proxy is null ? [] : ["--endpoint-url", proxy.Endpoint.ToString()];
        await using var process = _kit.StartSubscriber(["assemble", .. endpoint, .. args]);
        var code = await process.WaitForExitAsync(ScenarioKit.ExitDeadline);
        ScenarioKit.AssertOneErrorLine(process, ScenarioKit.Subscribe);
        return (code, process.Stderr);
    }

    private async Task<string> Sha256OfObjectAsync(string bucket, string key)
    {
        using var response = await emulator.S3.GetObjectAsync(bucket, key);
        return TestData.Sha256Hex(response.ResponseStream);
    }

    /// <summary>Another writer wins the race: just before the upload of <paramref name="key"/> is completed, an object appears there.</summary>
    private sealed class PutBeforeCompleteRule(string bucket, string key) : AwsRule
    {
        public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
        {
            if (request.Service == AwsService.S3 && request.Request.Method == "POST" && request.HasQuery("uploadId") && request.Bucket == bucket && request.Key == key)
            {
                await request.AskUpstreamAsync("PUT", $"/{bucket}/{key}", body: "the other writer's"u8.ToArray());
            }
            return null;
        }
    }
}
