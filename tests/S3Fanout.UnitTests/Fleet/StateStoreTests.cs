using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fleet;
using Xunit;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>The mirror records on disk: snake_case JSON, and files of the previous version still read.</summary>
public sealed class StateStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("s3fanout-states-");
    private readonly StateStore _states;
    private static readonly DateTimeOffset Began = new(2026, 11, 26, 9, 30, 1, 123, 456, TimeSpan.Zero);

    public StateStoreTests() => _states = new StateStore(_dir.FullName);

    private static string Id => StateStore.Id(new BroadcastLocation("fleet-bucket", "in/a"));

    private string FileOf(string id) => Path.Combine(_dir.FullName, "broadcasts", id + ".json");

    [Fact]
    public void WhenARecordIsSaved_ItsFileIsSnakeCaseWithTheStatusInWords()
    {
        _states.Save(Id, new MirrorRecord { Url = "s3://fleet-bucket/in/a", UploadBegan = Began, Status = MirrorStatus.Done, Segments = 3, Bytes = 30, Detail = "sha256 ab", UpdatedAt = Began });

        var text = File.ReadAllText(FileOf(Id));
        Assert.Contains("\"upload_began\": \"2026-11-26T09:30:01.123456+00:00\"", text, StringComparison.Ordinal);
        Assert.Contains("\"updated_at\"", text, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"done\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("uploadBegan", text, StringComparison.Ordinal);
        Assert.Equal(MirrorStatus.Done, _states.Load(Id)?.Status);
    }

    [Theory]
    [InlineData("mirroring", nameof(MirrorStatus.Mirroring))]
    [InlineData("done", nameof(MirrorStatus.Done))]
    [InlineData("failed", nameof(MirrorStatus.Failed))]
    public void WhenARecordWasWrittenByThePreviousVersion_ItLoads(string status, string expected)
    {
        File.WriteAllText(FileOf(Id), $$"""
            {
              "url": "s3://fleet-bucket/in/a",
              "uploadBegan": "2026-11-26T09:30:01.123456+00:00",
              "segments": 3,
              "bytes": 30,
              "status": "{{status}}",
              "detail": "why",
              "updatedAt": "2026-11-26T10:00:00+00:00"
            }
            """);

        var record = _states.Load(Id);

        Assert.NotNull(record);
        Assert.Equal(Enum.Parse<MirrorStatus>(expected), record.Status);
        Assert.Equal(Began, record.UploadBegan);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero), record.UpdatedAt);
        Assert.Equal((3L, 30L, "why"), (record.Segments, record.Bytes, record.Detail));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2]")]
    [InlineData("{\"status\": \"done\"}")]
    [InlineData("{\"url\": \"s3://fleet-bucket/in/a\", \"status\": \"exploded\"}")]
    public void WhenTheFileIsDamaged_TheBroadcastCountsAsNotRecorded(string text)
    {
        File.WriteAllText(FileOf(Id), text);

        Assert.Null(_states.Load(Id));
    }

    [Fact]
    public void WhenANameIsSpelledWithATrailingSlash_ItIsTheSameBroadcastAndKeepsThePreviousVersionsId()
    {
        Assert.True(BroadcastLocation.TryParse("s3://fleet-bucket/in/a/", out var slashed, out _));

        Assert.Equal(Id, StateStore.Id(slashed));
        Assert.Equal("ba45cc157439ced1226cd5c8976786de", Id);
    }

    [Fact]
    public void WhenARunIsRecordedAsDone_OnlyThatRunCountsAsDone()
    {
        var record = new MirrorRecord { Url = "s3://fleet-bucket/in/a", UploadBegan = Began, Status = MirrorStatus.Done };

        Assert.True(record.IsDone(Began.AddTicks(9)));
        Assert.False(record.IsDone(Began.AddTicks(-1)));
        Assert.False(record.IsDone(Began.AddSeconds(1)));
        Assert.False((record with { Status = MirrorStatus.Failed }).IsDone(Began));
        Assert.False((record with { UploadBegan = null }).IsDone(Began));
    }

    [Fact]
    public void WhenASecondStoreTakesTheSameDirectory_ItFailsAtOnce_AndTheFirstKeepsIt()
    {
        var refused = Assert.Throws<FatalException>(() => new StateStore(_dir.FullName));

        Assert.Equal(ExitCodes.LocalIo, refused.ExitCode);
        Assert.Contains("in use by another s3fanout-subscribe serve", refused.Message, StringComparison.Ordinal);
        _states.Save(Id, new MirrorRecord { Url = "s3://fleet-bucket/in/a", Status = MirrorStatus.Done, UpdatedAt = Began });
        Assert.Equal(MirrorStatus.Done, _states.Load(Id)?.Status);
    }

    [Fact]
    public void OnceTheFirstStoreIsDisposed_TheDirectoryCanBeTakenAgain()
    {
        _states.Dispose();

        using var again = new StateStore(_dir.FullName);

        Assert.Null(again.Load(Id));
    }

    public void Dispose()
    {
        _states.Dispose();
        _dir.Delete(recursive: true);
    }
}
