using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A partial output file with its state file beside it. Reopened for resume, it is cut back to the last recorded
/// position (bytes written after the last checkpoint are not trusted) and re-hashed, so the stream SHA-256 still
/// covers every byte; nothing is rewritten and nothing is skipped.
/// </summary>
internal sealed class ResumableFile : IAsyncDisposable
{
    private ResumableFile(string path, string statePath, FileStream stream, ResumePoint resume, SinkState state)
    {
        Path = path;
        StatePath = statePath;
        Stream = stream;
        Resume = resume;
        State = state;
    }

    public string Path { get; }
    public FileStream Stream { get; }
    public ResumePoint Resume { get; }
    public SinkState State { get; private set; }
    public string StatePath { get; }

    public static string StatePathFor(string partialPath) => partialPath + ".state";

    /// <summary>Opens <paramref name="partialPath"/>; resumes when its state names the same broadcast run, else starts empty.</summary>
    /// <param name="statePath">Where the position is recorded; default beside the file (FILE.partial.state).</param>
    public static async Task<ResumableFile> OpenAsync(
        string partialPath, string url, DateTimeOffset? uploadBegan, bool resume, ILogger logger, CancellationToken ct, string? statePath = null)
    {
        statePath ??= StatePathFor(partialPath);
        var previous = resume ? SinkState.TryLoad(statePath) : null;
        FileStream stream;
        try
        {
            stream = new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1024 * 1024);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FatalException(ExitCodes.LocalIo, $"cannot write '{partialPath}': {e.Message}", e);
        }
        try
        {
            var point = ResumePoint.Start();
            // A state without a start time was saved before the manifest was seen; the stream SHA-256 still guards it.
            var sameRun = previous is not null && previous.Url == url && (previous.UploadBegan is null || previous.UploadBegan == uploadBegan);
            if (sameRun && previous!.Status == "mirroring" && stream.Length >= previous.Bytes)
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
                    logger.LogWarning("Not resuming {File}: its state is for another broadcast run or the file is shorter than recorded; starting over", partialPath);
                }
                stream.SetLength(0);
            }
            stream.Position = point.Bytes;
            var state = new SinkState { Url = url, UploadBegan = uploadBegan, Segments = point.Segments, Bytes = point.Bytes, UpdatedAt = DateTimeOffset.UtcNow };
            var file = new ResumableFile(partialPath, statePath, stream, point, state);
            state.Save(file.StatePath);
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
        State = State with { Segments = segments, Bytes = bytes, UploadBegan = State.UploadBegan ?? uploadBegan, UpdatedAt = DateTimeOffset.UtcNow };
        State.Save(StatePath);
        return Task.CompletedTask;
    }

    /// <summary>After verification: the file becomes <paramref name="finalPath"/>; the state file is deleted unless <paramref name="keepState"/>.</summary>
    public async Task CompleteAsync(string finalPath, bool keepState = false)
    {
        Stream.Flush(flushToDisk: true);
        await Stream.DisposeAsync().ConfigureAwait(false);
        File.Move(Path, finalPath, overwrite: true);
        if (!keepState)
        {
            File.Delete(StatePath);
        }
    }

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
