using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Subscriber.Writing;
using Xunit;

namespace S3Fanout.UnitTests.Writing;

/// <summary>The resumable file and its checkpoint beside it (FILE.partial.state), which only it writes.</summary>
public sealed class ResumableFileTests : IDisposable
{
    private const string Url = "s3://test-bucket/streams/one";
    private static readonly DateTimeOffset Began = new(2026, 11, 26, 9, 30, 1, 123, 456, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("s3fanout-resumable-");

    private string Partial => Path.Combine(_dir.FullName, "copy.bin.partial");

    private string Checkpoint => Partial + ".state";

    private Task<ResumableFile> OpenAsync(bool resume = true, DateTimeOffset? began = null) =>
        ResumableFile.OpenAsync(Partial, Url, began ?? Began, resume, NullLogger.Instance, CancellationToken.None);

    /// <summary>Ten bytes on disk, of which the checkpoint vouches for the first six (segments 1 and 2).</summary>
    private void WriteInterruptedRun(string checkpointJson)
    {
        File.WriteAllBytes(Partial, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        File.WriteAllText(Checkpoint, checkpointJson);
    }

    [Fact]
    public async Task WhenASecondWriterOpensTheSamePartialFile_ItFailsAtOnce_AndTheFirstsBytesAndCheckpointStand()
    {
        await using var first = await OpenAsync(resume: false);
        await first.Stream.WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6 });
        await first.CheckpointAsync(2, 6, Began, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<S3Fanout.Shared.FatalException>(() => OpenAsync(resume: false));

        Assert.Equal(S3Fanout.Shared.ExitCodes.LocalIo, refused.ExitCode);
        Assert.Contains("in use by another S3Fanout process", refused.Message, StringComparison.Ordinal);
        Assert.Equal(6, new FileInfo(Partial).Length);
        Assert.Contains("\"bytes\": 6", await File.ReadAllTextAsync(Checkpoint), StringComparison.Ordinal);
        var final = Path.Combine(_dir.FullName, "copy.bin");
        await first.CompleteAsync(final);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, await File.ReadAllBytesAsync(final));
    }

    [Fact]
    public async Task WhenTheCheckpointWasWrittenByThePreviousVersion_TheFileResumesFromIt()
    {
        WriteInterruptedRun($$"""
            { "url": "{{Url}}", "uploadBegan": "2026-11-26T09:30:01.123456+00:00", "segments": 2, "bytes": 6,
              "status": "mirroring", "detail": null, "updatedAt": "2026-11-26T09:31:00+00:00" }
            """);

        await using var file = await OpenAsync();

        Assert.Equal((2L, 6L), (file.Resume.Segments, file.Resume.Bytes));
        Assert.Equal(6, file.Stream.Length);
        Assert.Equal(6, file.Stream.Position);
        var text = await File.ReadAllTextAsync(Checkpoint);
        Assert.Contains("\"upload_began\"", text, StringComparison.Ordinal);
        Assert.Contains("\"segments\": 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenACheckpointIsRecorded_ItIsSnakeCaseAndTheNextOpenResumesFromIt()
    {
        await using (var first = await OpenAsync())
        {
            await first.Stream.WriteAsync(new byte[] { 1, 2, 3, 4 });
            await first.CheckpointAsync(1, 4, Began, CancellationToken.None);
            await first.Stream.WriteAsync(new byte[] { 5, 6 });
        }
        var text = await File.ReadAllTextAsync(Checkpoint);
        Assert.Contains("\"updated_at\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("updatedAt", text, StringComparison.Ordinal);

        await using var second = await OpenAsync();

        Assert.Equal((1L, 4L), (second.Resume.Segments, second.Resume.Bytes));
        Assert.Equal(4, second.Stream.Length);
    }

    [Fact]
    public async Task WhenTheCheckpointIsForAnotherRun_TheFileStartsOver()
    {
        WriteInterruptedRun($$"""{ "url": "{{Url}}", "upload_began": "2026-11-25T00:00:00+00:00", "segments": 2, "bytes": 6 }""");

        await using var file = await OpenAsync();

        Assert.Equal(0, file.Resume.Bytes);
        Assert.Equal(0, file.Stream.Length);
    }

    [Fact]
    public async Task WhenResumeIsNotAsked_TheCheckpointIsIgnored()
    {
        WriteInterruptedRun($$"""{ "url": "{{Url}}", "upload_began": "2026-11-26T09:30:01.123456+00:00", "segments": 2, "bytes": 6 }""");

        await using var file = await OpenAsync(resume: false);

        Assert.Equal(0, file.Resume.Segments);
        Assert.Equal(0, file.Stream.Length);
    }

    [Fact]
    public async Task WhenCompleted_TheFileTakesItsNameAndTheCheckpointIsGone()
    {
        var final = Path.Combine(_dir.FullName, "copy.bin");
        var file = await OpenAsync();
        await file.Stream.WriteAsync(new byte[] { 1, 2, 3 });

        await file.CompleteAsync(final);

        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(final));
        Assert.False(File.Exists(Partial));
        Assert.False(File.Exists(Checkpoint));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
