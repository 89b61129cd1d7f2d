using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A partial output file with its checkpoint beside it (<see cref="SinkCheckpoint"/>, FILE.partial.state). Reopened for
/// resume, it is cut back to the last recorded position (bytes written after the last checkpoint are not trusted) and
/// re-hashed, so the stream SHA-256 still covers every byte; nothing is rewritten and nothing is skipped.
/// </summary>
internal sealed class ResumableFile : IAsyncDisposable
{
    private SinkCheckpoint _checkpoint;

    private ResumableFile(string path, FileStream stream, ResumePoint resume, SinkCheckpoint checkpoint)
    {
        Path = path;
        Stream = stream;
        Resume = resume;
        _checkpoint = checkpoint;
    }

    public string Path { get; }
    public FileStream Stream { get; }
    public ResumePoint Resume { get; }
    private string CheckpointPath => CheckpointPathFor(Path);

    private static string CheckpointPathFor(string partialPath) => partialPath + ".state";

    /// <summary>
    /// Opens <paramref name="partialPath"/>; with <paramref name="resume"/>, continues where its checkpoint says when
    /// that names the same broadcast run, else starts empty.
    /// </summary>
    public static async Task<ResumableFile> OpenAsync(
        string partialPath, string url, DateTimeOffset? uploadBegan, bool resume, ILogger logger, CancellationToken ct)
    {
        var previous = resume ? SinkCheckpoint.TryLoad(CheckpointPathFor(partialPath)) : null;
        // Locked before anything in it is cut or rewritten: a second subscriber with the same output (or a second service on
        // the same sink) fails here instead of truncating the file under the first, which would then rename a file with a hole.
        var stream = ExclusiveFile.Open(partialPath, "another S3Fanout process writing the same output", 1024 * 1024);
        try
        {
            var point = ResumePoint.Start();
            // A checkpoint without a start time was saved before the manifest was seen; the stream SHA-256 still guards it.
            var sameRun = previous is not null && previous.Url == url && (previous.UploadBegan is null || previous.UploadBegan == uploadBegan);
            if (sameRun && stream.Length >= previous!.Bytes)
            {
                stream.SetLength(previous.Bytes);
                var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var chunk = new byte[1024 * 1024];
                stream.Position = 0;
                int n;
                while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(chunk, 0, n);
                }
                point = new ResumePoint(previous.Segments, previous.Bytes, hash);
                if (point.Segments > 0)
                {
                    logger.LogWarning("Resuming {Url} into {File} after segment {Segments} ({Bytes} bytes)", url, partialPath, previous.Segments, previous.Bytes);
                }
            }
            else
            {
                if (previous is not null)
                {
                    logger.LogWarning("Not resuming {File}: its checkpoint is for another broadcast run or the file is shorter than recorded; starting over", partialPath);
                }
                stream.SetLength(0);
            }
            stream.Position = point.Bytes;
            var checkpoint = new SinkCheckpoint { Url = url, UploadBegan = uploadBegan, Segments = point.Segments, Bytes = point.Bytes, UpdatedAt = DateTimeOffset.UtcNow };
            var file = new ResumableFile(partialPath, stream, point, checkpoint);
            checkpoint.Save(file.CheckpointPath);
            return file;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>For <see cref="OrderedWriter"/>: makes the bytes durable, then records the new position.</summary>
    public Task CheckpointAsync(long segments, long bytes, DateTimeOffset? uploadBegan, CancellationToken ct)
    {
        Stream.Flush(flushToDisk: true);
        _checkpoint = _checkpoint with { Segments = segments, Bytes = bytes, UploadBegan = _checkpoint.UploadBegan ?? uploadBegan, UpdatedAt = DateTimeOffset.UtcNow };
        _checkpoint.Save(CheckpointPath);
        return Task.CompletedTask;
    }

    /// <summary>After verification: the file becomes <paramref name="finalPath"/> and its checkpoint is deleted.</summary>
    public async Task CompleteAsync(string finalPath)
    {
        Stream.Flush(flushToDisk: true);
        // Renamed while still open and locked, so no other writer can take the partial file between the check and the rename.
        File.Move(Path, finalPath, overwrite: true);
        File.Delete(CheckpointPath);
        await Stream.DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
