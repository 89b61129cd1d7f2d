using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Archive;

/// <summary>
/// <see cref="BroadcastStore.DeleteAsync"/> against an S3 client that answers DeleteObjects itself, so that per-key
/// errors (which the emulator never reports) can be scripted: batches, order, resending and the exit codes.
/// </summary>
public sealed class BroadcastStoreDeleteTests
{
    private static readonly BroadcastLocation Location = Locations.Default;

    [Fact]
    public async Task WhenABroadcastHasMoreKeysThanOneRequestTakes_SegmentsGoInBatchesOf1000ThenChecksumsThenManifest()
    {
        var s3 = new ScriptedDeletes();
        await Store(s3, tries: 1).DeleteAsync(Keys(2500), CancellationToken.None).Within("the deletion");

        Assert.Equal([1000, 1000, 500, 1, 1], s3.Requests.Select(r => r.Count));
        Assert.Equal(Enumerable.Range(1, 2500).Select(Segment), s3.Requests.Take(3).SelectMany(r => r));
        Assert.Equal([KeyLayout.ChecksumsKey(Location.Prefix)], s3.Requests[3]);
        Assert.Equal([KeyLayout.ManifestKey(Location.Prefix)], s3.Requests[4]);
    }

    [Fact]
    public async Task WhenSomeKeysOfABatchFailOnce_OnlyThoseAreSentAgain()
    {
        var s3 = new ScriptedDeletes();
        s3.Fail(Segment(7), "InternalError", times: 1);
        s3.Fail(Segment(1003), "SlowDown", times: 1);

        await Store(s3, tries: 3).DeleteAsync(Keys(1200), CancellationToken.None).Within("the deletion");

        Assert.Equal([1000, 1, 200, 1, 1, 1], s3.Requests.Select(r => r.Count));
        Assert.Equal([Segment(7)], s3.Requests[1]);
        Assert.Equal([Segment(1003)], s3.Requests[3]);
    }

    [Fact]
    public async Task WhenAKeyIsAccessDenied_DeletionStopsAtOnceWithExit4NamingTheKeyAndTheManifestIsKept()
    {
        var s3 = new ScriptedDeletes();
        s3.Fail(Segment(2), "AccessDenied", times: int.MaxValue);

        var e = await Assert.ThrowsAsync<FatalException>(() => Store(s3, tries: 5).DeleteAsync(Keys(3), CancellationToken.None).Within("the deletion"));

        Assert.Equal(ExitCodes.Access, e.ExitCode);
        Assert.Contains(Segment(2), e.Message, StringComparison.Ordinal);
        Assert.Single(s3.Requests); // not retried: another attempt cannot grant the permission
        Assert.DoesNotContain(s3.Requests.SelectMany(r => r), k => k.EndsWith(KeyLayout.ManifestName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenASegmentCannotBeDeletedInAnyAttempt_ItEndsWithExit6AndTheManifestIsKept()
    {
        var s3 = new ScriptedDeletes();
        s3.Fail(Segment(1), "InternalError", times: int.MaxValue);

        var e = await Assert.ThrowsAsync<FatalException>(() => Store(s3, tries: 2).DeleteAsync(Keys(2), CancellationToken.None).Within("the deletion"));

        Assert.Equal(ExitCodes.Transfer, e.ExitCode);
        Assert.Contains($"cannot delete the objects of {Location}", e.Message, StringComparison.Ordinal);
        Assert.Contains(Segment(1), e.Message, StringComparison.Ordinal);
        Assert.Equal([2, 1], s3.Requests.Select(r => r.Count));
        Assert.DoesNotContain(s3.Requests.SelectMany(r => r), k => k.EndsWith(KeyLayout.ManifestName, StringComparison.Ordinal));
    }

    private static BroadcastStore Store(IAmazonS3 s3, int tries) => new(s3, tries, StepRetry.DefaultAttemptTimeout, NullLogger<BroadcastStore>.Instance);

    private static string Segment(int index) => KeyLayout.SegmentKey(Location.Prefix, index);

    /// <summary>A listed broadcast with <paramref name="segments"/> segments, a .checksums, a .manifest and one object of someone else's.</summary>
    private static BroadcastKeys Keys(int segments) => new(
        Location,
        [.. Enumerable.Range(1, segments).Select(i => new S3Object { Key = Segment(i), Size = 1 })],
        new S3Object { Key = KeyLayout.ChecksumsKey(Location.Prefix), Size = 1 },
        new S3Object { Key = KeyLayout.ManifestKey(Location.Prefix), Size = 1 },
        [new S3Object { Key = Location.Prefix + "/sub/" + KeyLayout.ManifestName, Size = 1 }]);

    /// <summary>An S3 client that answers DeleteObjects itself: every key is deleted unless a failure was scripted for it.</summary>
    private sealed class ScriptedDeletes() : AmazonS3Client(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
    {
        private readonly Dictionary<string, (string Code, int Left)> _failures = new(StringComparer.Ordinal);

        public List<List<string>> Requests { get; } = [];

        public void Fail(string key, string code, int times) => _failures[key] = (code, times);

        public override Task<DeleteObjectsResponse> DeleteObjectsAsync(DeleteObjectsRequest request, CancellationToken cancellationToken = default)
        {
            Assert.True(request.Quiet);
            Assert.Equal(Location.Bucket, request.BucketName);
            var keys = request.Objects.Select(o => o.Key).ToList();
            Requests.Add(keys);
            var errors = new List<DeleteError>();
            foreach (var key in keys)
            {
                if (_failures.TryGetValue(key, out var f) && f.Left > 0)
                {
                    _failures[key] = (f.Code, f.Left - 1);
                    errors.Add(new DeleteError { Key = key, Code = f.Code, Message = string.Create(CultureInfo.InvariantCulture, $"{f.Code} for this key") });
                }
            }
            return Task.FromResult(new DeleteObjectsResponse { DeleteErrors = errors });
        }
    }
}
